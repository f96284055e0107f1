"""One module per gdx command; each has ``register(app)``."""
