"""What the three functions do, one module each; handlers call exactly one function here."""
