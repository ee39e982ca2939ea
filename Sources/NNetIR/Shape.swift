// IR stage.
