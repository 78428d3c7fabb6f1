"""Developer tooling (run as scripts; a package only so the test suite can import them)."""
