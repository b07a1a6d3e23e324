"""The conformance profile, used the way the kit uses it: by entry-point name."""

from importlib.metadata import entry_points
from typing import Any, cast

from floe_alert_pagerduty.conformance import PagerDutyProfile, routing_key_for_secret
from floe_monitoring import ContractViolationEvent, build_channel
from floe_testing_kit import ChannelProfile, Endpoint, FakeHTTPServer, RecordedRequest

SECRET = "kit-planted-secret-0042"


def load_profile() -> ChannelProfile:
    (ep,) = entry_points(group="floe.conformance", name="pagerduty")
    return cast(ChannelProfile, ep.load()())


async def test_profile_round_trip_over_http(make_event: Any) -> None:
    profile = load_profile()
    assert isinstance(profile, PagerDutyProfile)

    def handler(request: RecordedRequest) -> Any:
        return profile.success_response(request, variant="default")

    event: ContractViolationEvent = make_event(
        contract_name="<!channel> orders\r\nBcc: x", message="<script>alert(1)</script> ünï"
    )
    async with FakeHTTPServer(handler=handler) as server:
        config = profile.config(Endpoint(url=server.url), secret=SECRET, variant="default")
        channel = build_channel(profile.channel, config)
        async with channel:
            await channel.send_alert(event)
            await channel.send_alert(event.with_changes(status="resolved"))
            await channel.health_check()
    deliveries = [r for r in server.requests if profile.is_delivery(r, variant="default")]
    assert len(deliveries) == 2
    assert len(server.requests) == 3  # plus the health probe
    keys = {profile.idempotency_key(r, variant="default") for r in deliveries}
    assert keys == {event.dedup_key}
    text = profile.rendered_text(deliveries[0], variant="default")
    assert "<script>alert(1)</script> ünï" in text  # JSON data round-trips exactly
    assert profile.api.rejected == []
    key = routing_key_for_secret(SECRET)
    assert SECRET in key
    assert profile.api.alert_state(key, event.dedup_key) == "resolved"


async def test_profile_over_tls_with_the_kits_ca(make_event: Any) -> None:
    profile = PagerDutyProfile()
    async with FakeHTTPServer(
        handler=lambda r: profile.success_response(r, variant="default"), tls=True
    ) as server:
        endpoint = Endpoint(url=server.url, ca_bundle=server.ca_bundle)
        config = profile.config(endpoint, secret=SECRET, variant="default")
        assert config["allow_insecure_http"] is False
        async with build_channel("pagerduty", config) as channel:
            receipt = await channel.send_alert(make_event())
    assert receipt.status_code == 202
    assert len(profile.api.accepted) == 1
