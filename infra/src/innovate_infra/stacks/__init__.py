"""Every stack, by scope: ``accounts/`` (management and security/logs) and
``environment/`` (one set per environment), on one base class (``base.py``)."""
