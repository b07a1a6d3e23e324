"""E-mail alerts over SMTP with STARTTLS or implicit TLS.

Each alert is one ``multipart/alternative`` message (plain text, then HTML, both
rendered from `AlertMessage` with every untrusted value escaped), threaded per incident
with ``In-Reply-To``/``References``, sent in one SMTP session under one deadline.
Failures are classified for the core's retry loop: 4xx, timeouts and lost connections
are retryable; 5xx, a failed AUTH and a server without STARTTLS are permanent.

Example:
    >>> from floe_alert_email import EmailChannel, EmailConfig
    >>> config = EmailConfig(
    ...     host="smtp.example.com",                 # STARTTLS on port 587 by default
    ...     username="alerts@example.com",
    ...     password="app-password",                 # or password_file / ${ENV} via the core
    ...     from_address="alerts@example.com",
    ...     to=["data-team@example.com"],
    ...     owner_recipients={"payments": ["payments-data@example.com"]},
    ...     severity_recipients={"critical": ["oncall@example.com"]},
    ... )
    >>> config.effective_port
    587
    >>> async def notify(event):                     # doctest: +SKIP
    ...     async with EmailChannel(config) as channel:
    ...         receipt = await channel.send_alert(event)
    ...     return receipt.remote_id                 # the Message-ID
"""

from importlib.metadata import version as _version

from floe_alert_email.channel import EmailChannel
from floe_alert_email.config import EmailConfig, TLSMode

__version__ = _version("floe-alert-email")

__all__ = ["EmailChannel", "EmailConfig", "TLSMode", "__version__"]
