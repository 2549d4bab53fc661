"""Unit tests of the core modules, without HTTP."""
