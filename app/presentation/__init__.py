"""How things look: rendering for the dashboard (SVG charts). Pure: imports only core and domain."""
