"""Each feature's Slack surface: ``LISTENERS`` (modules with ``register(app)``) and ``NOTICES``
(modules with ``register(handlers)``). A feature's manifest names its module (``Feature.slack``)."""
