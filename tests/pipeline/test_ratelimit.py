"""The shared rate limiter spaces requests evenly and backs off on 429 (simulated clock)."""

from pipelines.box_events.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_spaced_at_the_configured_rate():
    t = FakeTime()
    limiter = RateLimiter(600, clock=t.clock, sleep=t.sleep)
    for _ in range(601):
        limiter.acquire()
    assert abs(t.now - 60.0) < 1e-6  # 600 intervals of 0.1 s after the first request


def test_a_429_pauses_for_retry_after_and_slows_the_pace_then_recovers():
    t = FakeTime()
    limiter = RateLimiter(600, clock=t.clock, sleep=t.sleep)
    limiter.acquire()
    limiter.throttled(5.0)
    assert limiter.rate < 600
    limiter.acquire()
    assert t.now >= 5.0
    for _ in range(400):
        limiter.succeeded()
    assert limiter.rate == 600
