"""brandbot: one customer-service bot for a brand's messaging apps."""

__version__ = "0.1.0"
