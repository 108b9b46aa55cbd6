"""An injected clock for tests: sleeping advances it instantly and is remembered."""

from datetime import UTC, datetime

START = datetime(2026, 11, 21, 1, 30, tzinfo=UTC).timestamp()  # its wall clock: Saturday 09:30 in Shanghai


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return START + self.now - 1000.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
