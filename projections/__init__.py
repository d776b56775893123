"""Read models: the governance as it stood on a date, as it was known at a moment.

`oracle` is the executable definition (a plain replay); faster read models must agree with it.
"""
