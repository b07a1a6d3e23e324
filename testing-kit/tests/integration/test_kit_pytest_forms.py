"""The documented pytest forms: a subclass in the author's module, and an inert plugin."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_subclass_form_runs_every_case_once(
    pytester: pytest.Pytester, kit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", kit_env["PYTHONPATH"])
    pytester.makepyfile(
        test_my_channel="""
        from floe_testing_kit import ChannelConformance
        from kit_fixture_channels import MinimalProfile

        class TestMinimalConformance(ChannelConformance):
            channel = "minimal"
            profile = MinimalProfile
        """
    )
    result = pytester.runpytest_subprocess("-k", "delivery or packaging", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["*channel 'minimal' PASSED*"])
    # The base class itself is never collected (its name does not start with Test).
    assert "ChannelConformance::" not in result.stdout.str()


def test_a_bypass_is_reported_with_its_reason(
    pytester: pytest.Pytester, kit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", kit_env["PYTHONPATH"])
    pytester.makepyfile(
        test_bypass="""
        from floe_testing_kit import ChannelConformance
        from kit_fixture_channels import MinimalProfile

        class QuietProfile(MinimalProfile):
            bypass = {"idempotency.same_key": "the destination has no idempotency header"}

        class TestBypass(ChannelConformance):
            channel = "minimal"
            profile = QuietProfile
        """
    )
    result = pytester.runpytest_subprocess("-k", "idempotency", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*bypassed idempotency.same_key: the destination has no idempotency header*"]
    )


def test_strict_mode_runs_bypassed_checks(
    pytester: pytest.Pytester, kit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", kit_env["PYTHONPATH"])
    pytester.makepyfile(
        test_strict="""
        from floe_testing_kit import ChannelConformance
        from kit_fixture_channels import MinimalProfile

        class QuietProfile(MinimalProfile):
            bypass = {"idempotency.same_key": "no header"}

        class TestStrict(ChannelConformance):
            channel = "minimal"
            profile = QuietProfile
        """
    )
    result = pytester.runpytest_subprocess(
        "-k", "idempotency", "--floe-strict", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)


def test_a_bypass_without_reason_or_for_an_unknown_check_is_refused(
    pytester: pytest.Pytester, kit_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", kit_env["PYTHONPATH"])
    pytester.makepyfile(
        test_badbypass="""
        from floe_testing_kit import ChannelConformance
        from kit_fixture_channels import MinimalProfile

        class SloppyProfile(MinimalProfile):
            bypass = {"delivery.firng": "typo", "delivery.unicode": " "}

        class TestSloppy(ChannelConformance):
            channel = "minimal"
            profile = SloppyProfile
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*bypass names unknown check IDs: delivery.firng*"])


def test_the_installed_plugin_is_inert_for_other_projects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        def test_one():
            assert 1 + 1 == 2
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "floe conformance" not in result.stdout.str()
    assert "collected 1 item" in result.stdout.str()
