"""The full-screen views (textual): imported only by the commands that open one (gdx explore)."""
