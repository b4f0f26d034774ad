"""The in-process commit feed: what a stream takes is exactly the committed events that continue
where it is, in order; anything else is left to the table. No table, no threads racing: pure."""

from __future__ import annotations

import threading

from jobstream.store.commit_feed import MAX_BUFFERED_EVENTS, CommitFeed
from jobstream.store.models import StoredEvent


def events(first: int, last: int) -> list[StoredEvent]:
    return [
        StoredEvent(id=i, type="progress", data={"i": i}, created_at=0.0)
        for i in range(first, last + 1)
    ]


def ids(taken: list[StoredEvent]) -> list[int]:
    return [event.id for event in taken]


def test_a_subscriber_takes_what_was_committed_after_it_subscribed_in_order() -> None:
    feed = CommitFeed()
    feed.publish("job", events(1, 2))  # before subscribing: the table has these
    subscription = feed.subscribe("job")
    feed.publish("job", events(3, 5))
    feed.publish("job", events(6, 6))
    assert ids(subscription.take(2)) == [3, 4, 5, 6]
    assert subscription.take(6) == []
    assert subscription.pending == 0


def test_events_already_sent_from_the_table_are_dropped_not_repeated() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(1, 4))
    feed.publish("job", events(5, 7))
    # The stream's first poll read 1..5 from the table while the feed buffered them too.
    assert ids(subscription.take(5)) == [6, 7]
    assert subscription.take(7) == []


def test_a_gap_hands_nothing_over_so_the_stream_reads_the_table() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(4, 6))  # 2..3 were committed where the feed did not see them
    assert subscription.take(1) == []
    # Once the table read caught up to 3, the buffered rest continues it.
    assert ids(subscription.take(3)) == [4, 5, 6]


def test_a_run_stops_at_the_first_gap_and_the_rest_waits() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(1, 2))
    feed.publish("job", events(5, 5))
    assert ids(subscription.take(0)) == [1, 2]
    assert subscription.take(2) == []
    assert ids(subscription.take(4)) == [5]


def test_publications_out_of_order_are_handed_over_in_id_order() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(3, 4))
    feed.publish("job", events(1, 2))
    assert ids(subscription.take(0)) == [1, 2, 3, 4]


def test_other_jobs_and_closed_subscriptions_get_nothing() -> None:
    feed = CommitFeed()
    mine = feed.subscribe("job")
    other = feed.subscribe("other")
    feed.publish("job", events(1, 1))
    assert other.take(0) == []
    mine.close()
    feed.publish("job", events(2, 2))
    assert mine.take(0) == []
    assert mine.pending == 0


def test_every_subscriber_of_a_job_gets_every_event() -> None:
    feed = CommitFeed()
    first, second = feed.subscribe("job"), feed.subscribe("job")
    feed.publish("job", events(1, 3))
    assert ids(first.take(0)) == ids(second.take(0)) == [1, 2, 3]


def test_wait_returns_at_once_when_events_are_buffered_or_it_was_woken() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    assert subscription.wait(0) is False  # nothing yet: the timeout passed
    feed.publish("job", events(1, 1))
    assert subscription.wait(60) is True
    subscription.take(0)
    subscription.wake()
    assert subscription.wait(60) is True
    assert subscription.wait(0) is False  # a wake is used once


def test_a_publish_from_the_appending_thread_ends_the_wait() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    publisher = threading.Thread(target=feed.publish, args=("job", events(1, 1)))
    publisher.start()
    # Bounded by the publisher, not by the timeout: a minute would fail the suite's timeout.
    assert subscription.wait(60) is True
    publisher.join()
    assert ids(subscription.take(0)) == [1]


def test_a_failing_subscriber_does_not_fail_the_publisher_or_the_others() -> None:
    feed = CommitFeed()
    broken = feed.subscribe("job")
    healthy = feed.subscribe("job")

    def deliver(_events: object) -> None:
        raise RuntimeError("broken")

    broken.deliver = deliver  # type: ignore[method-assign, assignment]
    feed.publish("job", events(1, 1))
    assert ids(healthy.take(0)) == [1]


def test_a_subscriber_that_stops_taking_holds_a_bounded_buffer_then_reads_the_table() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(1, MAX_BUFFERED_EVENTS))
    feed.publish("job", events(MAX_BUFFERED_EVENTS + 1, MAX_BUFFERED_EVENTS + 5))
    assert subscription.pending <= MAX_BUFFERED_EVENTS
    # What was dropped is a gap: nothing is handed over until the table read catches up.
    assert subscription.take(0) == []
    assert ids(subscription.take(MAX_BUFFERED_EVENTS)) == list(
        range(MAX_BUFFERED_EVENTS + 1, MAX_BUFFERED_EVENTS + 6)
    )


def test_events_read_from_the_table_are_discarded_and_wake_nobody() -> None:
    feed = CommitFeed()
    subscription = feed.subscribe("job")
    feed.publish("job", events(1, 3))
    subscription.discard_through(3)
    assert subscription.pending == 0
    assert subscription.wait(0) is False
