"""HTML screens of the organisations app, one module per resource; urls.py maps them."""
