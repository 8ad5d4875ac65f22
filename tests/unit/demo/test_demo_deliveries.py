"""When the demo's deliveries arrive."""

from app.demo.deliveries import arrival_offsets


def test_the_first_arrives_at_once_and_the_last_at_the_end_of_the_window():
    assert arrival_offsets(5, 60) == [0.0, 15.0, 30.0, 45.0, 60.0]


def test_a_zero_window_sends_everything_at_once():
    assert arrival_offsets(3, 0) == [0.0, 0.0, 0.0]


def test_a_single_delivery_is_sent_at_once():
    assert arrival_offsets(1, 60) == [0.0]
    assert arrival_offsets(0, 60) == []
