"""Hypothesis profiles: a quick one for everyday runs, a thorough one for CI.

Pick one with HYPOTHESIS_PROFILE=quick|ci|thorough; CI (CI=true) gets "ci" by default.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=60, deadline=None)
# CI draws the same examples every run (derandomize), so that a red CI always means a
# change broke something; the quick and thorough profiles keep exploring new ones.
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "quick")
)
