"""E-mail over SMTP with STARTTLS or implicit TLS."""

from importlib.metadata import version as _version

from floe_alert_email.channel import EmailChannel, EmailConfig

__version__ = _version("floe-alert-email")

__all__ = ["EmailChannel", "EmailConfig", "__version__"]
