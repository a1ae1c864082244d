"""``make cost``: the monthly estimate of what the synthesized templates create."""
