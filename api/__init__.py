"""The edge: the command line (and, later, HTTP routes and web pages). Thin: parse, call one
service method, shape the answer."""
