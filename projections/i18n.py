"""Every label of the evaluator pages, in Dutch (the default) and English, kept in one place.

`translator(lang)` gives the function templates call as `t("key")`; `label(lang, group, value)`
names a vocabulary value (a role, a kind, a gap rule). A missing key shows the key itself, so a
forgotten translation is visible rather than fatal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from markupsafe import Markup

from domain import decisions as d
from domain.governance import GovernanceState
from domain.vocabulary import AMSTERDAM

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

TEXT: dict[str, tuple[str, str]] = {
    # key: (Dutch, English)
    "app.name": ("Governanceregister meldkamers", "Control-room governance ledger"),
    "app.tagline": (
        "Besluiten over de borging van verantwoordelijkheden, zoals ze golden en zoals ze "
        "bekend waren",
        "Decisions on who is responsible for what, as they stood and as they were known",
    ),
    "skip": ("Naar de inhoud", "Skip to content"),
    "nav.label": ("Hoofdnavigatie", "Main navigation"),
    "nav.overview": ("Overzicht", "Overview"),
    "nav.matrix": ("Matrix", "Matrix"),
    "nav.timeline": ("Tijdlijn", "Timeline"),
    "nav.log": ("Besluiten", "Decisions"),
    "nav.monitor": ("Monitor", "Monitor"),
    "nav.progress": ("Voortgang", "Progress"),
    "nav.risks": ("Risico's", "Risks"),
    "nav.recommendations": ("Aanbevelingen", "Recommendations"),
    "nav.commitments": ("Toezeggingen", "Commitments"),
    "nav.downloads": ("Downloads", "Downloads"),
    "lang.switch": ("English", "Nederlands"),
    "lang.switch.label": ("Switch to English", "Schakel naar Nederlands"),
    "as_of": ("Peildatum", "As of"),
    "as_of.help": ("De datum waarop de toestand geldt", "The date the state holds on"),
    "known_at": ("Bekend op", "Known at"),
    "known_at.help": (
        "Zoals het register het wist aan het eind van die dag (leeg: nu)",
        "As the ledger knew it at the end of that day (empty: now)",
    ),
    "now": ("nu", "now"),
    "apply": ("Toon", "Show"),
    "slider": ("Tijdlijn van het register", "The ledger's timeline"),
    "slider.help": (
        "Schuif om de peildatum te kiezen; loslaten (of Enter na de pijltjestoetsen) toont de "
        "toestand op die datum",
        "Slide to choose the as-of date; releasing it (or Enter after the arrow keys) shows the "
        "state on that date",
    ),
    "head": ("registerpositie", "ledger position"),
    "signed_in_as": ("Aangemeld als", "Signed in as"),
    "demo_mode": ("Demomodus (alleen lokaal)", "Demo mode (local only)"),
    "sign_out": ("Afmelden", "Sign out"),
    # sign-in
    "signin.title": ("Aanmelden", "Sign in"),
    "signin.intro": (
        "Meld u aan met een token van het register (uitgegeven met `ledger tokens issue`). "
        "Het token wordt alleen in een beveiligde cookie van deze browser bewaard.",
        "Sign in with a ledger token (issued with `ledger tokens issue`). The token is kept "
        "only in a secure cookie of this browser.",
    ),
    "signin.token": ("Token", "Token"),
    "signin.submit": ("Aanmelden", "Sign in"),
    "signin.invalid": (
        "Dit token is onbekend of ingetrokken.",
        "This token is unknown or has been revoked.",
    ),
    "signin.signed_out": ("U bent afgemeld.", "You have signed out."),
    "signin.cross_site": (
        "Dit verzoek kwam niet van een pagina van deze site en is geweigerd. Open de "
        "aanmeldpagina van deze site en probeer het opnieuw.",
        "This request did not come from this site's own page and was refused. Open this "
        "site's sign-in page and try again.",
    ),
    "signin.held": (
        "Te veel onjuiste tokens vanaf dit adres. Probeer het over {seconds} seconden opnieuw.",
        "Too many wrong tokens from this address. Try again in {seconds} seconds.",
    ),
    # overview
    "overview.title": ("Overzicht", "Overview"),
    "overview.lead": (
        "De governance van de meldkamers op de peildatum, zoals bekend op het gekozen moment.",
        "The governance of the control rooms on the as-of date, as known at the chosen moment.",
    ),
    "count.parties": ("Partijen", "Parties"),
    "count.subjects": ("Onderwerpen", "Subjects"),
    "count.roles": ("Rollen belegd", "Roles held"),
    "count.frameworks": ("Kaders", "Frameworks"),
    "count.risks": ("Risico's", "Risks"),
    "count.acceptances": ("Acceptaties van kracht", "Acceptances in force"),
    "count.recommendations_open": ("Open aanbevelingen", "Open recommendations"),
    "count.commitments_overdue": ("Toezeggingen over tijd", "Commitments overdue"),
    "count.decisions": ("Besluiten bekend", "Decisions known"),
    "count.gaps": ("Open lacunes", "Open gaps"),
    "gaps.title": ("Open lacunes", "Open gaps"),
    "gaps.none": ("Geen lacunes op deze peildatum.", "No gaps on this date."),
    "gap.rule": ("Regel", "Rule"),
    "gap.about": ("Betreft", "About"),
    "gap.since": ("Sinds", "Since"),
    "gap.message": ("Toelichting", "Explanation"),
    "gap.decisions": ("Besluiten", "Decisions"),
    # matrix
    "matrix.title": ("Verantwoordelijkhedenmatrix", "Responsibility matrix"),
    "matrix.lead.turned": (
        "Onderwerpen (rijen, elk onder het onderwerp waar het onder valt) en partijen "
        "(kolommen). Activeer een cel om de besluiten en bronnen erachter te zien.",
        "Subjects (rows, each under the subject it is part of) and parties (columns). Activate a "
        "cell to see the decisions and sources behind it.",
    ),
    "matrix.lead": (
        "Partijen (rijen) en onderwerpen (kolommen). Activeer een cel om de besluiten en bronnen "
        "erachter te zien.",
        "Parties (rows) and subjects (columns). Activate a cell to see the decisions and sources "
        "behind it.",
    ),
    "matrix.caption": (
        "Rollen per partij en onderwerp op {as_of}",
        "Roles per party and subject on {as_of}",
    ),
    "matrix.party": ("Partij", "Party"),
    "matrix.empty": (
        "Op deze peildatum zijn nog geen partijen of onderwerpen geregistreerd.",
        "No parties or subjects are registered on this date yet.",
    ),
    "matrix.gap_column": ("lacune", "gap"),
    "matrix.legend": ("Legenda", "Legend"),
    "matrix.legend.gap": ("Kolom met een lacune", "Column with a gap"),
    "matrix.since": ("sinds", "since"),
    "basis.inferred": ("afgeleid", "inferred"),
    "basis.stated": ("staat letterlijk in de bron", "stated in the source"),
    "basis.inferred.title": (
        "Afgeleid: de bron zegt dit niet letterlijk; het is een aanname",
        "Inferred: the source does not say this literally; it is an assumption",
    ),
    "matrix.legend.inferred": (
        "* na een letter: rol berust op een afgeleid besluit (een aanname)",
        "* after a letter: the role rests on an inferred decision (an assumption)",
    ),
    "matrix.legend.inherited": (
        "(A): rol geërfd van een bovenliggend onderwerp",
        "(A): role inherited from a subject above",
    ),
    "matrix.inherited": ("geërfd van {subject}", "inherited from {subject}"),
    "matrix.turn": ("Onderwerpen als rijen", "Subjects as rows"),
    "matrix.turn.back": ("Partijen als rijen", "Parties as rows"),
    "matrix.part_of": ("valt onder {parent}", "part of {parent}"),
    "matrix.inherited.title": (
        "Geldt hier omdat niemand deze rol voor dit onderwerp zelf heeft; de besluiten gaan over "
        "het bovenliggende onderwerp",
        "Holds here because nobody holds this role for this subject itself; the decisions are "
        "about the subject above",
    ),
    "matrix.sources": ("Besluiten en bronnen", "Decisions and sources"),
    "matrix.close": ("Sluiten", "Close"),
    "compare.title": ("Vergelijken", "Compare"),
    "compare.with": ("Vergelijk met peildatum", "Compare with as-of date"),
    "compare.submit": ("Vergelijk", "Compare"),
    "compare.known_at": ("zoals bekend op", "as known at"),
    "compare.known_at.help": (
        "Leeg: zoals hierboven bekend. Met dezelfde peildatum: wat er sindsdien bekend werd",
        "Empty: as known above. With the same as-of date: what became known since",
    ),
    "compare.as_known_on": ("(zoals bekend op {day})", "(as known on {day})"),
    "compare.off": ("Vergelijking uitzetten", "Stop comparing"),
    "compare.summary": (
        "Wijzigingen van {before} naar {after}: {added} toegevoegd, {removed} vervallen, "
        "{changed} gewijzigd.",
        "Changes from {before} to {after}: {added} added, {removed} removed, {changed} changed.",
    ),
    "compare.none": ("Geen wijzigingen tussen deze datums.", "No changes between these dates."),
    "change.added": ("toegevoegd", "added"),
    "change.removed": ("vervallen", "removed"),
    "change.changed": ("gewijzigd", "changed"),
    "change.before": ("Was", "Before"),
    "change.after": ("Wordt", "After"),
    "change.causes": ("Oorzaak", "Cause"),
    # timeline
    "monitor.title": ("Monitor van de borging", "Monitor of the anchoring"),
    "monitor.lead": (
        "Hoe de borging van verantwoordelijkheden zich ontwikkelde: per periode-einde de lacunes,"
        " onderwerpen zonder eindverantwoordelijke, te late aanbevelingen en toezeggingen.",
        "How the anchoring of responsibilities developed: per period end the gaps, subjects"
        " without an accountable party, overdue recommendations and commitments.",
    ),
    "monitor.from": ("Vanaf", "From"),
    "monitor.step": ("Per", "Every"),
    "monitor.step.month": ("maand", "month"),
    "monitor.step.quarter": ("kwartaal", "quarter"),
    "monitor.step.year": ("jaar", "year"),
    "monitor.chart": ("De borging in de tijd", "The anchoring over time"),
    "monitor.table": ("De cijfers per datum", "The figures per date"),
    "monitor.gaps_total": ("lacunes", "gaps"),
    "monitor.unaccountable_subjects": ("zonder eindverantwoordelijke", "without accountable"),
    "monitor.recommendations_overdue": ("aanbevelingen te laat", "recommendations overdue"),
    "monitor.commitments_overdue": ("toezeggingen te laat", "commitments overdue"),
    "monitor.recommendations_open": ("aanbevelingen open", "recommendations open"),
    "monitor.commitments_open": ("toezeggingen open", "commitments open"),
    "monitor.inventory": (
        "Risico-inventarisatie per systeem op {as_of}",
        "Risk inventory per system on {as_of}",
    ),
    "monitor.system": ("Systeem", "System"),
    "monitor.risks.identified": ("geïdentificeerd", "identified"),
    "monitor.risks.assessed": ("beoordeeld", "assessed"),
    "monitor.risks.treated": ("behandeld", "treated"),
    "monitor.risks.accepted": ("geaccepteerd", "accepted"),
    "monitor.risks.past_review": ("herbeoordeling verlopen", "past review"),
    "monitor.no_risks": (
        "Op deze datum is geen risico vastgelegd.",
        "No risk recorded on this date.",
    ),
    "nav.tokens": ("Tokens", "Tokens"),
    "tokens.title": ("Tokens", "Tokens"),
    "tokens.lead": (
        "Wie met welke rol bij het register kan, en voor welke partijen een token besluiten mag "
        "vastleggen. Uitgeven, afbakenen en intrekken gaat met `ledger tokens` of de API.",
        "Who can reach the ledger in which role, and for which parties a token may record "
        "decisions. Issue, scope and revoke with `ledger tokens` or the API.",
    ),
    "tokens.admin_only": (
        "Alleen een beheerderstoken ziet de tokens.",
        "Only an admin token sees the tokens.",
    ),
    "tokens.name": ("Naam", "Name"),
    "tokens.role": ("Rol", "Role"),
    "tokens.scope": ("Mag vastleggen voor", "May record for"),
    "tokens.any_party": ("elke partij", "any party"),
    "tokens.not_recording": ("(leest alleen)", "(reads only)"),
    "tokens.issued": ("Uitgegeven", "Issued"),
    "tokens.revoked": ("Ingetrokken", "Revoked"),
    "tokens.active": ("actief", "active"),
    "pack.title": (
        "Evaluatiepakket governance meldkamers",
        "Evaluation pack: the control rooms' governance",
    ),
    "pack.cover": ("Voorblad", "Cover"),
    "pack.contents": ("Inhoud", "Contents"),
    "pack.as_of": ("Peildatum", "As of"),
    "pack.known_at": ("Zoals bekend op", "As known at"),
    "pack.head": ("Ledger-positie", "Ledger position"),
    "pack.chain_hash": ("Ketenhash op die positie", "Chain hash at that position"),
    "pack.chain_hash.note": (
        "Legt alles vast wat tot die positie is vastgelegd; `ledger verify` en een getekend "
        "checkpoint tonen dat er niets aan is veranderd.",
        "Fixes everything recorded up to that position; `ledger verify` and a signed checkpoint "
        "show that nothing in it changed.",
    ),
    "pack.compared_with": ("Vergeleken met", "Compared with"),
    "pack.period": ("Voortgang over", "Progress over"),
    "pack.until": ("tot en met", "to"),
    "pack.sheet.progress": ("Voortgang", "Progress"),
    "pack.sheet.responsibilities": ("Per onderwerp", "By subject"),
    "pack.sheet.risks": ("Risico's", "Risks"),
    "pack.sheet.recommendations": ("Aanbevelingen", "Recommendations"),
    "pack.sheet.commitments": ("Toezeggingen", "Commitments"),
    "pack.sheet.decisions": ("Besluiten", "Decisions"),
    "pack.made_at": ("Gemaakt op", "Made on"),
    "pack.counts": (
        "{decisions} besluiten tot de peildatum, {gaps} lacunes",
        "{decisions} decisions up to the as-of date, {gaps} gaps",
    ),
    "pack.responsibilities": ("Verantwoordelijkheden per onderwerp", "Responsibilities by subject"),
    "pack.responsibilities.lead": (
        "Wie welke rol heeft voor elk onderwerp op de peildatum (RACI en toezicht). * na een "
        "naam: de rol berust op een afgeleid besluit (een aanname). (geërfd): de rol geldt hier "
        "omdat een bovenliggend onderwerp hem heeft en dit onderwerp zelf niemand. ⚠: het "
        "onderwerp heeft een lacune.",
        "Who holds which role for each subject on the as-of date (RACI and oversight). * after a "
        "name: the role rests on an inferred decision (an assumption). (inherited): the role "
        "holds here because a subject above has it and nobody holds it for this subject itself. "
        "⚠: the subject has a gap.",
    ),
    "pack.nobody": ("niemand", "nobody"),
    "pack.inherited": ("geërfd", "inherited"),
    "pack.changes": ("Wat er veranderde", "What changed"),
    "pack.gaps": ("Lacunes", "Gaps"),
    "pack.gaps.lead": (
        "Waar de borging van verantwoordelijkheden tekortschiet, met de reden.",
        "Where the anchoring of responsibilities falls short, with the reason.",
    ),
    "pack.risks": ("Risico's", "Risks"),
    "pack.recommendations": ("Aanbevelingen", "Recommendations"),
    "pack.commitments": ("Toezeggingen", "Commitments"),
    "pack.decisions": ("Besluiten tot de peildatum", "Decisions up to the as-of date"),
    "pack.decisions.lead": (
        "Elk besluit zoals het nu luidt (met correcties), met zijn bron en motivering.",
        "Every decision as it reads now (with its corrections), with its source and rationale.",
    ),
    "pack.col.rule": ("Lacune", "Gap"),
    "pack.col.about": ("Betreft", "About"),
    "pack.col.since": ("Sinds", "Since"),
    "pack.col.explanation": ("Toelichting", "Explanation"),
    "pack.col.risk": ("Risico", "Risk"),
    "pack.col.system": ("Systeem", "System"),
    "pack.col.level": ("Niveau", "Level"),
    "pack.col.treatments": ("Maatregelen", "Treatments"),
    "pack.col.accepted": ("Restrisico aanvaard", "Residual risk accepted"),
    "pack.col.recommendation": ("Aanbeveling", "Recommendation"),
    "pack.col.response": ("Reactie", "Response"),
    "pack.col.owner": ("Eigenaar", "Owner"),
    "pack.col.due": ("Uiterlijk", "Due"),
    "pack.col.status": ("Stand", "Status"),
    "pack.col.commitment": ("Toezegging", "Commitment"),
    "pack.col.by": ("Door", "By"),
    "pack.col.kept": ("Nagekomen", "Kept"),
    "pack.col.date": ("Datum", "Date"),
    "pack.col.decision": ("Besluit", "Decision"),
    "pack.col.source": ("Bron", "Source"),
    "pack.col.rationale": ("Motivering", "Rationale"),
    "pack.overdue": ("over tijd", "overdue"),
    "pack.open": ("open", "open"),
    "pack.closed": ("gesloten", "closed"),
    "pack.review_by": ("herbeoordelen vóór {day}", "review by {day}"),
    "progress.title": ("Voortgangsrapportage", "Progress report"),
    "progress.heading": (
        "Voortgang governance meldkamers, {first} tot en met {last}",
        "Progress of the control rooms' governance, {first} to {last}",
    ),
    "progress.lead": (
        "Wat er in deze periode veranderde, besluit voor besluit en met de bron erbij: "
        "de bijlage bij de halfjaarlijkse voortgangsbrief.",
        "What changed in this period, decision by decision and with its source: the annex to "
        "the half-yearly progress letter.",
    ),
    "progress.known": (
        "Zoals bekend op {known_at} (ledger-positie {position}).",
        "As known at {known_at} (ledger position {position}).",
    ),
    "progress.from": ("Van", "From"),
    "progress.to": ("Tot en met", "To"),
    "progress.show": ("Toon", "Show"),
    "progress.download": ("Downloaden", "Download"),
    "progress.roles": ("Verantwoordelijkheden", "Responsibilities"),
    "progress.roles.lead": (
        "De matrix van de dag vóór de periode vergeleken met die van de laatste dag.",
        "The matrix of the day before the period compared with that of its last day.",
    ),
    "progress.area.framework": ("Kaders", "Frameworks"),
    "progress.area.risk": ("Risico's", "Risks"),
    "progress.area.recommendation": (
        "Bevindingen en aanbevelingen",
        "Findings and recommendations",
    ),
    "progress.area.commitment": ("Toezeggingen", "Commitments"),
    "progress.area.evaluation": ("Evaluaties", "Evaluations"),
    "progress.area.register": ("Partijen en onderwerpen", "Parties and subjects"),
    "progress.overdue": ("Te laat of verlopen", "Fallen overdue or lapsed"),
    "progress.overdue.lead": (
        "Aanbevelingen en toezeggingen die in de periode over tijd raakten en acceptaties "
        "waarvan de herbeoordeling verliep, voor zover nog zo op de laatste dag.",
        "Recommendations and commitments that fell overdue in the period and acceptances whose "
        "review date passed, as far as still so on its last day.",
    ),
    "progress.put_right": ("Correcties en intrekkingen", "Corrections and retractions"),
    "progress.put_right.lead": (
        "In de periode vastgelegd, over welke datum ook: wat eerder werd gezegd en wat sindsdien.",
        "Recorded in the period, whatever date they concern: what was said before and since.",
    ),
    "progress.retracted": ("ingetrokken", "retracted"),
    "progress.restored": ("weer van kracht", "in force again"),
    "progress.nothing": ("Niets in deze periode.", "Nothing in this period."),
    "progress.date": ("Datum", "Date"),
    "progress.what": ("Besluit", "Decision"),
    "progress.by": ("Door", "By"),
    "progress.source": ("Bron", "Source"),
    "progress.recorded": ("Vastgelegd", "Recorded"),
    "progress.change": ("Wijziging", "Change"),
    "progress.rule": ("Wat", "What"),
    "progress.made": ("Gemaakt op {made}.", "Made on {made}."),
    "log.title": ("Besluitenlog", "Decision log"),
    "log.lead": (
        "Elk vastgelegd besluit: zoek in de tekst, filter, sorteer en open een besluit voor zijn"
        " inhoud, correcties en instemmingen.",
        "Every recorded decision: search its text, filter, sort, and open one for its content,"
        " corrections and consents.",
    ),
    "log.search": ("Zoek in de tekst", "Search the text"),
    "log.effective_from": ("Ingang vanaf", "Effective from"),
    "log.effective_to": ("Ingang tot en met", "Effective to"),
    "log.recorded_from": ("Vastgelegd vanaf", "Recorded from"),
    "log.recorded_to": ("Vastgelegd tot en met", "Recorded to"),
    "log.sort": ("Volgorde", "Order"),
    "log.sort.-effective": ("nieuwste datum van ingang eerst", "latest effective date first"),
    "log.sort.effective": ("oudste datum van ingang eerst", "earliest effective date first"),
    "log.sort.-position": ("laatst vastgelegd eerst", "last recorded first"),
    "log.sort.position": ("eerst vastgelegd eerst", "first recorded first"),
    "log.page": ("pagina {n} van {of}", "page {n} of {of}"),
    "log.pages": ("Pagina's", "Pages"),
    "log.previous": ("vorige", "previous"),
    "log.next": ("volgende", "next"),
    "log.bad_text": (
        "de zoektekst bevat een stuur- of richtingsteken",
        "the search text contains a control or direction character",
    ),
    "timeline.title": ("Tijdlijn", "Timeline"),
    "timeline.lead": (
        "Besluiten naar de datum waarop ze ingaan. Een open cirkel is ingetrokken; de lijn is "
        "de peildatum.",
        "Decisions by the date they take effect. A hollow circle was retracted; the line is the "
        "as-of date.",
    ),
    "timeline.filters": ("Filters", "Filters"),
    "timeline.party": ("Partij", "Party"),
    "timeline.subject": ("Onderwerp", "Subject"),
    "timeline.kind": ("Soort besluit", "Kind of decision"),
    "timeline.any": ("(alle)", "(all)"),
    "timeline.chart": ("Besluiten in de tijd", "Decisions over time"),
    "timeline.count": ("{n} besluiten", "{n} decisions"),
    "timeline.none": ("Geen besluiten voor deze filters.", "No decisions for these filters."),
    "timeline.retracted": ("ingetrokken", "retracted"),
    "timeline.corrected": ("gecorrigeerd", "corrected"),
    # risks
    "risks.title": ("Risico's en acceptaties", "Risks and acceptances"),
    "risks.lead": (
        "Risico's per systeem, hun beoordeling, maatregelen en geaccepteerde restrisico's.",
        "Risks per system, their assessment, measures and accepted residual risks.",
    ),
    "risks.none": ("Geen risico's geïdentificeerd.", "No risks identified."),
    "risk.system": ("Systeem", "System"),
    "risk.identified": ("Geïdentificeerd", "Identified"),
    "risk.assessment": ("Beoordeling", "Assessment"),
    "risk.not_assessed": ("niet beoordeeld", "not assessed"),
    "risk.treatments": ("Maatregelen", "Measures"),
    "risk.acceptance": ("Acceptatie restrisico", "Residual-risk acceptance"),
    "risk.no_acceptance": ("geen acceptatie van kracht", "no acceptance in force"),
    "risk.accepted_by": ("door", "by"),
    "risk.criteria": ("criteria", "criteria"),
    "risk.no_criteria": ("zonder criteria", "without criteria"),
    "risk.review_by": ("herbeoordelen vóór", "review by"),
    "risk.past_review": ("herbeoordeling verlopen", "review overdue"),
    "criteria.title": ("Acceptatiecriteria", "Acceptance criteria"),
    "criteria.none": ("Geen acceptatiecriteria vastgesteld.", "No acceptance criteria set."),
    "criteria.max": ("hoogst acceptabel", "highest acceptable"),
    "frameworks.title": ("Kaders", "Frameworks"),
    "frameworks.none": ("Geen kaders vastgesteld.", "No frameworks adopted."),
    "framework.level": ("niveau", "level"),
    "scope": ("Reikwijdte", "Scope"),
    "by": ("door", "by"),
    "on": ("op", "on"),
    # recommendations
    "recs.title": ("Bevindingen en aanbevelingen", "Findings and recommendations"),
    "recs.lead": (
        "Aanbevelingen van de Inspectie en van evaluaties, met reactie, eigenaar en voortgang.",
        "Recommendations of the Inspectorate and of evaluations, with response, owner and "
        "progress.",
    ),
    "recs.none": ("Geen aanbevelingen.", "No recommendations."),
    "rec.status.open": ("open", "open"),
    "rec.status.closed": ("gesloten", "closed"),
    "rec.issued": ("Uitgebracht", "Issued"),
    "rec.response": ("Reactie", "Response"),
    "rec.no_response": ("nog geen reactie", "no response yet"),
    "rec.owner": ("Eigenaar", "Owner"),
    "rec.no_owner": ("geen eigenaar", "no owner"),
    "rec.progress": ("Voortgang", "Progress"),
    "rec.due": ("Termijn", "Due"),
    "rec.findings": ("Bevindingen", "Findings"),
    "rec.closed": ("Gesloten", "Closed"),
    "findings.title": ("Bevindingen", "Findings"),
    "findings.none": ("Geen bevindingen.", "No findings."),
    "evaluations.title": ("Evaluaties", "Evaluations"),
    "evaluation.expected": ("verwacht", "expected"),
    "evaluation.reported": ("gerapporteerd", "reported"),
    # commitments
    "commitments.title": ("Toezeggingen aan de Kamer", "Commitments to parliament"),
    "commitments.lead": (
        "Beloften met een termijn; over tijd als ze op de peildatum niet zijn nagekomen.",
        "Promises with a due date; overdue when not kept by the as-of date.",
    ),
    "commitments.none": ("Geen toezeggingen.", "No commitments."),
    "commitment.promise": ("Toezegging", "Promise"),
    "commitment.made": ("Gedaan", "Made"),
    "commitment.due": ("Termijn", "Due"),
    "commitment.status": ("Stand", "Status"),
    "commitment.kept": ("nagekomen", "kept"),
    "commitment.overdue": ("over tijd", "overdue"),
    "commitment.open": ("loopt", "open"),
    # decision
    "decision.title": ("Besluit", "Decision"),
    "decision.envelope": ("Besluit", "Decision"),
    "decision.kind": ("Soort", "Kind"),
    "decision.id": ("Kenmerk", "Id"),
    "decision.position": ("Positie", "Position"),
    "decision.decided_by": ("Genomen door", "Decided by"),
    "decision.effective_on": ("Gaat in op", "Takes effect on"),
    "decision.source": ("Bron", "Source"),
    "decision.rationale": ("Motivering", "Rationale"),
    "decision.basis": ("Grondslag", "Basis"),
    "decision.document": ("Document", "Document"),
    "decision.requires_consent_of": ("Instemming nodig van", "Needs consent of"),
    "decision.recorded_at": ("Vastgelegd op", "Recorded at"),
    "decision.recorded_by": ("Vastgelegd door", "Recorded by"),
    "decision.content": ("Inhoud", "Content"),
    "decision.current": ("Huidige inhoud (na correctie)", "Current content (as corrected)"),
    "decision.corrections": ("Correcties", "Corrections"),
    "decision.no_corrections": ("Geen correcties.", "No corrections."),
    "decision.retraction": ("Intrekking", "Retraction"),
    "decision.not_retracted": ("Niet ingetrokken.", "Not retracted."),
    "decision.retracted_banner": ("Dit besluit is ingetrokken.", "This decision was retracted."),
    "decision.consents": ("Instemmingen", "Consents"),
    "decision.no_consents": ("Geen instemmingen.", "No consents."),
    "decision.integrity": ("Integriteit", "Integrity"),
    "decision.chain_hash": ("Ketenhash", "Chain hash"),
    "decision.proof": ("Inclusiebewijs (JSON)", "Inclusion proof (JSON)"),
    "decision.not_found": ("Dit besluit bestaat niet.", "There is no such decision."),
    # downloads
    "downloads.title": ("Downloads", "Downloads"),
    "downloads.lead": (
        "Bestanden voor de peildatum en het moment hierboven.",
        "Files for the as-of date and moment above.",
    ),
    "downloads.matrix_csv": ("Matrix (CSV)", "Matrix (CSV)"),
    "downloads.matrix_xlsx": (
        "Matrix (Excel, met bronnen en lacunes)",
        "Matrix (Excel, with sources and gaps)",
    ),
    "downloads.matrix_xlsx_turned": (
        "Matrix per onderwerp (Excel: onderwerpen als rijen)",
        "Matrix by subject (Excel: subjects as rows)",
    ),
    "downloads.pack_xlsx": ("Evaluatiepakket (Excel)", "Evaluation pack (Excel)"),
    "downloads.pack_pdf": ("Evaluatiepakket (PDF)", "Evaluation pack (PDF)"),
    "downloads.pack_html": ("Evaluatiepakket (HTML)", "Evaluation pack (HTML)"),
    # errors
    "error.title": ("Er ging iets mis", "Something went wrong"),
    "error.bad_value": ("Ongeldige waarde voor {name}", "Invalid value for {name}"),
    "error.not_a_date": (
        "'{value}' is geen datum (JJJJ-MM-DD)",
        "'{value}' is not a date (YYYY-MM-DD)",
    ),
    "error.not_a_moment": (
        "'{value}' is geen datum (JJJJ-MM-DD) of moment (JJJJ-MM-DDTUU:MM, met of zonder "
        "seconden en tijdzone)",
        "'{value}' is not a date (YYYY-MM-DD) or a moment (YYYY-MM-DDTHH:MM, with or without "
        "seconds and time zone)",
    ),
    "error.after": ("{first} ligt na {last}", "{first} lies after {last}"),
    "error.one_of": ("kies uit {choices}", "choose one of {choices}"),
    "error.page_number": ("een paginanummer: 1, 2, 3, …", "a page number: 1, 2, 3, …"),
    "error.too_many_points": (
        "te veel datums voor één monitor (ten hoogste 400); kies een grotere stap",
        "too many dates for one monitor (at most 400); choose a larger step",
    ),
    "span.empty": (
        "Er is nog geen besluit vastgelegd.",
        "No decision has been recorded yet.",
    ),
    "span.nothing_yet": (
        "Op {known_at} was nog niets vastgelegd: het eerste besluit werd vastgelegd op {first}."
        ' Alles hieronder is dus leeg, niet "zonder lacunes".',
        "At {known_at} nothing had been recorded yet: the first decision was recorded at {first}."
        ' Everything below is empty, not "without gaps".',
    ),
    "span.beyond": (
        "Na {last} gaat geen vastgelegd besluit meer in (het laatste werd vastgelegd op"
        " {recorded}); op {as_of} geldt dus wat op {last} gold.",
        "No recorded decision takes effect after {last} (the last was recorded at {recorded});"
        " on {as_of} what held on {last} still holds.",
    ),
    "span.go": ("Naar {last}", "Go to {last}"),
    "error.not_found": (
        "Er is geen pagina op {path}. Kies een pagina in het menu, of ga terug naar het overzicht.",
        "There is no page at {path}. Choose a page from the menu, or go back to the overview.",
    ),
    "error.back": ("Terug naar het overzicht", "Back to the overview"),
    "footer": (
        "Bron van het scenario: Kamerstuk 25 124, nr. 109. Alle besluiten zijn onveranderlijk; "
        "correcties worden als nieuw besluit vastgelegd.",
        "Scenario source: Kamerstuk 25 124, nr. 109. Every decision is immutable; corrections are "
        "recorded as new decisions.",
    ),
    "footer.api": ("API-documentatie", "API documentation"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "accountable": ("eindverantwoordelijk", "accountable"),
        "responsible": ("uitvoeringsverantwoordelijk", "responsible"),
        "consulted": ("geraadpleegd", "consulted"),
        "informed": ("geïnformeerd", "informed"),
        "oversight": ("toezicht", "oversight"),
    },
    "party_kind": {
        "minister": ("minister", "minister"),
        "discipline": ("discipline", "discipline"),
        "korpschef": ("korpschef", "chief of police"),
        "board": ("bestuur", "board"),
        "agency": ("uitvoeringsorganisatie", "agency"),
        "programme": ("programma", "programme"),
        "inspectorate": ("inspectie", "inspectorate"),
        "evaluator": ("evaluator", "evaluator"),
        "auditor": ("auditor", "auditor"),
        "parliament": ("parlement", "parliament"),
        "supplier": ("leverancier", "supplier"),
        "other": ("overig", "other"),
    },
    "subject_kind": {
        "system": ("systeem", "system"),
        "domain": ("domein", "domain"),
        "meldkamer": ("meldkamer", "control room"),
        "process": ("proces", "process"),
    },
    "level": {
        "low": ("laag", "low"),
        "medium": ("midden", "medium"),
        "high": ("hoog", "high"),
        "critical": ("kritiek", "critical"),
    },
    "treatment": {
        "planned": ("gepland", "planned"),
        "implemented": ("ingevoerd", "implemented"),
    },
    "token_role": {
        "admin": ("beheerder", "admin"),
        "secretariat": ("secretariaat", "secretariat"),
        "evaluator": ("evaluator", "evaluator"),
    },
    "response": {
        "endorsed": ("onderschreven", "endorsed"),
        "partly": ("deels onderschreven", "partly endorsed"),
        "rejected": ("niet onderschreven", "rejected"),
    },
    "about": {
        "subject": ("onderwerp", "subject"),
        "party": ("partij", "party"),
        "risk": ("risico", "risk"),
        "recommendation": ("aanbeveling", "recommendation"),
        "commitment": ("toezegging", "commitment"),
        "decision": ("besluit", "decision"),
    },
    "gap": {
        "no_accountable": ("niemand eindverantwoordelijk", "nobody accountable"),
        "several_accountable": ("meer dan één eindverantwoordelijke", "several accountable"),
        "no_responsible": ("niemand uitvoeringsverantwoordelijk", "nobody responsible"),
        "role_held_by_dissolved_party": (
            "rol bij opgeheven partij",
            "role held by a dissolved party",
        ),
        "acceptance_without_criteria": (
            "acceptatie zonder criteria",
            "acceptance without criteria",
        ),
        "acceptance_without_authority": (
            "acceptatie door onbevoegde partij",
            "acceptance by a party without authority",
        ),
        "no_acceptance_criteria": ("geen acceptatiecriteria", "no acceptance criteria"),
        "assessment_without_criteria": (
            "beoordeling zonder criteria",
            "assessment without criteria",
        ),
        "acceptance_past_review": ("herbeoordeling verlopen", "acceptance past review"),
        "risk_not_assessed": ("risico niet beoordeeld", "risk never assessed"),
        "recommendation_without_owner": (
            "aanbeveling zonder eigenaar",
            "recommendation without owner",
        ),
        "recommendation_overdue": ("aanbeveling over tijd", "recommendation overdue"),
        "commitment_overdue": ("toezegging over tijd", "commitment past due"),
        "consent_missing": ("instemming ontbreekt", "consent missing"),
    },
    "kind": {
        "party.registered": ("partij geregistreerd", "party registered"),
        "party.dissolved": ("partij opgeheven", "party dissolved"),
        "subject.registered": ("onderwerp geregistreerd", "subject registered"),
        "responsibility.assigned": ("rol toegekend", "role assigned"),
        "responsibility.relieved": ("rol ontnomen", "role relieved"),
        "responsibility.transferred": ("rol overgedragen", "role transferred"),
        "framework.adopted": ("kader vastgesteld", "framework adopted"),
        "risk.identified": ("risico geïdentificeerd", "risk identified"),
        "risk.assessed": ("risico beoordeeld", "risk assessed"),
        "risk.treatment_decided": ("maatregel besloten", "treatment decided"),
        "risk.acceptance_criteria_established": (
            "acceptatiecriteria vastgesteld",
            "acceptance criteria established",
        ),
        "risk.residual_accepted": ("restrisico geaccepteerd", "residual risk accepted"),
        "risk.acceptance_withdrawn": ("acceptatie ingetrokken", "acceptance withdrawn"),
        "finding.recorded": ("bevinding vastgelegd", "finding recorded"),
        "recommendation.issued": ("aanbeveling gedaan", "recommendation issued"),
        "recommendation.responded": ("reactie op aanbeveling", "recommendation answered"),
        "recommendation.owner_assigned": ("eigenaar aanbeveling", "recommendation owner assigned"),
        "recommendation.progress_reported": ("voortgang gemeld", "progress reported"),
        "recommendation.closed": ("aanbeveling gesloten", "recommendation closed"),
        "evaluation.commissioned": ("evaluatie opgedragen", "evaluation commissioned"),
        "evaluation.reported": ("evaluatie gerapporteerd", "evaluation reported"),
        "commitment.made": ("toezegging gedaan", "commitment made"),
        "commitment.kept": ("toezegging nagekomen", "commitment kept"),
        "consent.given": ("instemming gegeven", "consent given"),
        "decision.corrected": ("besluit gecorrigeerd", "decision corrected"),
        "decision.retracted": ("besluit ingetrokken", "decision retracted"),
    },
    "field": {
        "accepted_level": ("geaccepteerd niveau", "accepted level"),
        "commitment": ("toezegging", "commitment"),
        "corrects": ("corrigeert besluit", "corrects decision"),
        "criteria": ("acceptatiecriteria", "acceptance criteria"),
        "decision": ("besluit", "decision"),
        "description": ("omschrijving", "description"),
        "discipline": ("discipline", "discipline"),
        "due_on": ("uiterlijk op", "due on"),
        "evaluation": ("evaluatie", "evaluation"),
        "evaluator": ("evaluator", "evaluator"),
        "expected_by": ("verwacht uiterlijk", "expected by"),
        "finding": ("bevinding", "finding"),
        "findings": ("bevindingen", "findings"),
        "framework": ("kader", "framework"),
        "from_party": ("van partij", "from party"),
        "how": ("hoe", "how"),
        "level": ("niveau", "level"),
        "max_acceptable_level": ("hoogst aanvaardbaar niveau", "highest acceptable level"),
        "measure": ("maatregel", "measure"),
        "name": ("naam", "name"),
        "number": ("nummer", "number"),
        "owner": ("eigenaar", "owner"),
        "parent": ("valt onder", "part of"),
        "party": ("partij", "party"),
        "party_kind": ("soort partij", "kind of party"),
        "progress": ("voortgang", "progress"),
        "promise": ("toezegging", "promise"),
        "reason": ("reden", "reason"),
        "recommendation": ("aanbeveling", "recommendation"),
        "replacement": ("nieuwe inhoud", "replacement"),
        "resolution": ("afhandeling", "resolution"),
        "response": ("reactie", "response"),
        "retracts": ("trekt besluit in", "retracts decision"),
        "review_by": ("herbeoordelen uiterlijk", "review by"),
        "risk": ("risico", "risk"),
        "role": ("rol", "role"),
        "scope": ("reikwijdte", "scope"),
        "status": ("status", "status"),
        "subject": ("onderwerp", "subject"),
        "subject_kind": ("soort onderwerp", "kind of subject"),
        "subjects_concerned": ("betrokken onderwerpen", "subjects concerned"),
        "summary": ("samenvatting", "summary"),
        "system": ("systeem", "system"),
        "text": ("tekst", "text"),
        "title": ("titel", "title"),
        "to_party": ("naar partij", "to party"),
    },
    "family": {
        "party": ("partijen", "parties"),
        "subject": ("onderwerpen", "subjects"),
        "responsibility": ("verantwoordelijkheden", "responsibilities"),
        "framework": ("kaders", "frameworks"),
        "risk": ("risico's", "risks"),
        "finding": ("bevindingen", "findings"),
        "recommendation": ("aanbevelingen", "recommendations"),
        "evaluation": ("evaluaties", "evaluations"),
        "commitment": ("toezeggingen", "commitments"),
        "consent": ("instemmingen", "consents"),
        "decision": ("correcties", "corrections"),
    },
}


def language(value: str | None) -> str:
    """The language asked for, or the default."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: object) -> str:
    """The label `key` in `lang`, with `{name}` placeholders filled in."""
    pair = TEXT.get(key)
    found = key if pair is None else pair[1 if lang == "en" else 0]
    return found.format(**values) if values else found


def label(lang: str, group: str, value: str) -> str:
    """The name of a vocabulary value (a role, a kind, a rule) in `lang`; else the value."""
    pair = LABELS.get(group, {}).get(value)
    return value if pair is None else pair[1 if lang == "en" else 0]


def translator(lang: str) -> Callable[..., str]:
    """`t("key", name=value)` for templates."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t


# --- decisions in words -------------------------------------------------------------------

_OBJECT_FIELDS = (
    "party",
    "from_party",
    "subject",
    "risk",
    "framework",
    "criteria",
    "finding",
    "recommendation",
    "evaluation",
    "commitment",
    "corrects",
    "retracts",
    "decision",
)


def summary(decision: d.Decision, names: dict[str, str], lang: str) -> str:
    """A short line naming what a decision is about (`names`: as `names_of` gives them)."""
    if isinstance(decision, d.ResponsibilityAssignment | d.ResponsibilityRelief):
        role = label(lang, "role", decision.role.value)
        return (
            f"{names.get(decision.party, decision.party)} · {role} · "
            f"{names.get(decision.subject, decision.subject)}"
        )
    if isinstance(decision, d.ResponsibilityTransfer):
        role = label(lang, "role", decision.role.value)
        return (
            f"{names.get(decision.from_party, decision.from_party)} → "
            f"{names.get(decision.to_party, decision.to_party)} · {role} · "
            f"{names.get(decision.subject, decision.subject)}"
        )
    if isinstance(decision, d.RecommendationResponse):
        said = label(lang, "response", decision.response.value)
        return _short(f"{said}: {_named(names, 'recommendation', decision.recommendation)}")
    if isinstance(decision, d.RecommendationOwnerAssignment):
        owner = names.get(decision.owner, decision.owner)
        return _short(f"{owner}: {_named(names, 'recommendation', decision.recommendation)}")
    for name in ("name", "title", "promise", "text", "progress", "measure", "description"):
        value = getattr(decision, name, None)
        if isinstance(value, str):
            return _short(value)
    for name in _OBJECT_FIELDS:
        value = getattr(decision, name, None)
        if value is not None:
            return _short(f"{label(lang, 'field', name)}: {_named(names, name, str(value))}")
    return label(lang, "kind", decision.kind)


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "…"


def _named(names: dict[str, str], field: str, value: str) -> str:
    if field in ("party", "from_party", "owner", "subject"):
        return names.get(value, value)
    return names.get(f"{field}:{value}", value)


TITLED = (
    ("framework", "frameworks", "name"),
    ("criteria", "criteria", "description"),
    ("risk", "risks", "title"),
    ("finding", "findings", "text"),
    ("recommendation", "recommendations", "text"),
    ("evaluation", "evaluations", "title"),
    ("commitment", "commitments", "promise"),
)
"""The registers' entries by name: (kind, the state's attribute, the field that names one)."""


def names_of(*states: GovernanceState) -> dict[str, str]:
    """Display names by id: of parties and subjects under their ids, of the registers' entries
    under '<field>:<id>' (e.g. 'risk:r1' -> its title); the later state's name wins."""
    found: dict[str, str] = {}
    for state in states:
        found.update({p.id: p.name for p in state.parties.values()})
        found.update({s.id: s.name for s in state.subjects.values()})
        for kind, register, title in TITLED:
            for key, entry in getattr(state, register).items():
                found[f"{kind}:{key}"] = getattr(entry, title)
    return found


_PUBLICATIONS = (
    # Kamerstuk 25124-109, Kamerstuk 25124/29517-108 (the first dossier names it)
    (
        re.compile(r"Kamerstuk(?:ken)?\s+(\d{4,6})(?:/\d{4,6})*[- ]+(?:nr\.?\s*)?(\d{1,4})\b"),
        "kst-{}-{}",
    ),
    # Stb. 2020, 140 / Stcrt. 2021, 12345
    (re.compile(r"\bStb\.?\s+(\d{4}),?\s+(?:nr\.?\s*)?(\d{1,6})\b"), "stb-{}-{}"),
    (re.compile(r"\bStcrt\.?\s+(\d{4}),?\s+(?:nr\.?\s*)?(\d{1,6})\b"), "stcrt-{}-{}"),
)
OFFICIAL = "https://zoek.officielebekendmakingen.nl/{}.html"
"""Where the official publications (Kamerstukken, Staatsblad, Staatscourant) are found."""


def publication_url(source: str) -> str | None:
    """The address of the official publication a source names, if it names one."""
    for pattern, identifier in _PUBLICATIONS:
        found = pattern.search(source)
        if found:
            return OFFICIAL.format(identifier.format(*found.groups()))
    return None


def source_url(source: str, document: d.SourceDocument | None = None) -> str | None:
    """Where a source's document is published: its address, else its official identifier's
    page, else that of a publication its text names (None: nowhere known)."""
    url = None
    if document is not None:
        url = document.url or (OFFICIAL.format(document.id) if document.id else None)
    return url or publication_url(source)


def source_ref(source: str, document: d.SourceDocument | None = None) -> Markup:
    """A source as shown: its text, a link to where the document is published, if known."""
    url = source_url(source, document)
    if url is None:
        return Markup("{}").format(source)
    return Markup('<a href="{}" rel="external noopener" class="publication">{}</a>').format(
        url, source
    )


_MONTHS = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def long_date(day: date, lang: str) -> str:
    """A date in words: 3 februari 2022 / 3 February 2022."""
    return f"{day.day} {_MONTHS['en' if lang == 'en' else 'nl'][day.month - 1]} {day.year}"


def long_moment(moment: datetime, lang: str) -> str:
    """A moment in words, in Amsterdam's time: 3 februari 2022, 17:00."""
    local = moment.astimezone(AMSTERDAM)
    return f"{long_date(local.date(), lang)}, {local:%H:%M}"
