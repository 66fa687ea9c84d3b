"""HTTP routes: parse the request, call a service, return its model."""
