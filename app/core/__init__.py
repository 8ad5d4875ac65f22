"""Pure building blocks: settings, enums, domain models, event parsing. Imports no adapters."""
