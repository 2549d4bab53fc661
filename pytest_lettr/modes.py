"""Names of settings the plugin reads before anything heavy is imported.

The plugin validates its command-line options at start-up; keeping the allowed values here (a
module with no imports) lets it do so without loading the account, werkzeug or Faker.
"""

from __future__ import annotations

SENSITIVE_DATA_MODES = ("warn", "error", "off")
"""The sensitive-data guard's modes: ``warn`` (default), ``error`` (refuse with 400) or ``off``."""
