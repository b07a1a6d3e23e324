from floe_alert_email import EmailChannel, EmailConfig
from floe_alert_email.conformance import EmailProfile
from floe_alert_email.render import render_event
from floe_monitoring import ContractViolationEvent
from floe_testing_kit import Endpoint, RecordedMail, TextFormat, Transport

SECRET = "kitsecret-0b5d"


def _mail() -> RecordedMail:
    event = ContractViolationEvent.model_validate(
        {
            "contract_name": "<script>x</script>",
            "violation_type": "quality",
            "severity": "warning",
            "message": "bad <b>rows</b>",
            "timestamp": "2026-01-31T09:30:00Z",
        }
    )
    config = EmailConfig(host="h.example.com", from_address="a@example.com", to=("b@example.com",))
    return RecordedMail(
        "a@example.com", ("b@example.com",), render_event(config, event, ["b@example.com"]).data
    )


def test_profile_metadata() -> None:
    assert EmailProfile.channel == EmailChannel.name
    assert EmailProfile.transport is Transport.SMTP
    assert EmailProfile.text_format is TextFormat.HTML
    assert EmailProfile.timeout_field in EmailConfig.model_fields


def test_config_from_an_authenticated_starttls_endpoint() -> None:
    endpoint = Endpoint(
        url="", host="127.0.0.1", port=2525, ca_bundle=__file__, tls_mode="starttls", username="kit"
    )
    config = EmailProfile().config(endpoint, secret=SECRET, variant="default")
    assert config["host"] == "127.0.0.1"
    assert config["port"] == 2525
    assert config["tls_mode"] == "starttls"
    assert config["ca_bundle"] == __file__
    assert config["username"] == "kit"
    assert config["password"] == SECRET
    assert [k for k, v in config.items() if v == SECRET] == ["password"]
    validated = EmailConfig.model_validate(config)
    assert SECRET not in validated.model_dump_json()


def test_config_from_a_plaintext_endpoint_has_no_credentials() -> None:
    endpoint = Endpoint(url="", port=25, tls_mode="none")
    config = EmailProfile().config(endpoint, secret=SECRET, variant="default")
    assert "password" not in config
    assert "ca_bundle" not in config
    assert EmailConfig.model_validate(config).effective_port == 25


def test_rendered_text_is_the_escaped_html_part() -> None:
    text = EmailProfile().rendered_mail_text(_mail(), variant="default")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script>" not in text
    assert "<b>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text


def test_idempotency_key_is_the_message_id() -> None:
    mail = _mail()
    key = EmailProfile().mail_idempotency_key(mail, variant="default")
    assert key is not None
    assert key == str(mail.message()["Message-ID"])
    assert key.startswith("<")
    assert key.endswith("@example.com>")
    thread = EmailProfile().mail_thread_key(mail, variant="default")
    assert thread is not None
    assert thread.startswith("<incident-")
