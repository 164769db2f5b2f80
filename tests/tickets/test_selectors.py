"""find_best_block on crafted seat maps (pure: no database)."""

import pytest

from tickets.selectors import find_best_block


def seat_map(*rows: str, categories: dict[str, str] | None = None) -> list[dict]:
    """Rows drawn as text, front row first: "." free, "x" sold, "h" held, " " no seat,
    "w" a free wheelchair space, "c" a free companion seat.

    "A: ..x.." is row A with seats 1-5, seat 3 sold. A space leaves a number out
    (an aisle), so seats on both sides of it are not adjacent.
    """
    status = {".": "available", "x": "sold", "h": "held", "w": "available"}
    status["c"] = "available"
    features = {"w": ["wheelchair"], "c": ["companion"]}
    entries = []
    for spec in rows:
        row, cells = spec.split(": ")
        category = (categories or {}).get(row, "standard")
        for number, cell in enumerate(cells, start=1):
            if cell == " ":
                continue
            entries.append(
                {
                    "label": f"{row}{number}",
                    "row": row,
                    "number": number,
                    "category": category,
                    "price": "10.00",
                    "status": status[cell],
                    "features": features.get(cell, []),
                    "aisle_after": False,
                }
            )
    return entries


def labels(block):
    return None if block is None else [seat["label"] for seat in block]


def test_empty_hall_gives_centre_of_middle_row():
    layout = seat_map("A: ..........", "B: ..........", "C: ..........")
    assert labels(find_best_block(layout, count=2)) == ["B5", "B6"]


def test_odd_count_in_even_row_prefers_lower_numbers_on_a_tie():
    layout = seat_map("A: ..........")
    assert labels(find_best_block(layout, count=3)) == ["A4", "A5", "A6"]


def test_centre_line_beats_middle_row():
    layout = seat_map(
        "A: ..........",
        "B: ....xx....",  # the middle row's centre is sold
        "C: ..........",
    )
    assert labels(find_best_block(layout, count=2)) == ["C5", "C6"]


def test_middle_row_beats_front_row_at_the_same_offset():
    layout = seat_map(
        "A: ..........",
        "B: ..........",
        "C: ..........",
        "D: ..........",
        "E: ..........",
    )
    assert labels(find_best_block(layout, count=4)) == ["C4", "C5", "C6", "C7"]


def test_two_middle_rows_tie_goes_to_the_row_further_back():
    layout = seat_map("A: ......", "B: ......", "C: ......", "D: ......")
    assert labels(find_best_block(layout, count=2)) == ["C3", "C4"]


def test_narrow_rows_are_centred_on_the_screen_line():
    # Row B is shorter; drawn centred, its seats 3-4 sit on the centre line.
    layout = seat_map("A: ..xxxx..", "B: ......", "C: ..xxxx..")
    assert labels(find_best_block(layout, count=2)) == ["B3", "B4"]


def test_avoids_stranding_a_seat_next_to_a_taken_one_when_as_good():
    # Blocks 4-6 and 5-7 are equally central; 4-6 would strand seat 3.
    layout = seat_map("A: .x........")
    assert labels(find_best_block(layout, count=3)) == ["A5", "A6", "A7"]


def test_avoids_stranding_a_seat_at_the_row_edge_when_as_good():
    #   seats:  1 2 3 4 5 6 7 8 9 10
    #           . . . x x x x . . x
    # 2-3 and 8-9 are both 3 seats off centre. 2-3 would strand seat 1 against the
    # wall; 8-9 sits against sold seat 10 and strands nothing.
    layout = seat_map("A: ...xxxx..x")
    assert labels(find_best_block(layout, count=2)) == ["A8", "A9"]


def test_a_more_central_block_wins_even_if_it_strands_a_seat():
    # 4-7 is the only centred block; it strands seat 3, but "equally good" blocks
    # are the only ones the rule may prefer, and none is as central.
    layout = seat_map("A: .x........")
    assert labels(find_best_block(layout, count=4)) == ["A4", "A5", "A6", "A7"]


def test_rows_equally_far_from_the_middle_pick_the_one_stranding_nothing():
    # B and D are both one row from the middle (C, sold out). Seats 3-4 are the
    # centre of each; in D they would strand seat 2 next to sold seat 1. D is
    # further back, which would win a plain tie.
    layout = seat_map(
        "A: ......",
        "B: ......",
        "C: xxxxxx",
        "D: x.....",
        "E: ......",
    )
    assert labels(find_best_block(layout, count=2)) == ["B3", "B4"]


def test_equal_blocks_left_and_right_pick_the_one_stranding_nothing():
    #   seats:  1 2 3 4 5 6 7 8 9 10
    #           . . . . x x . . . x
    # count 2: 3-4 and 7-8 are both 2 seats off centre. 3-4 leaves 1-2 (a pair);
    # 7-8 strands seat 9 between itself and sold seat 10.
    layout = seat_map("A: ....xx...x")
    assert labels(find_best_block(layout, count=2)) == ["A3", "A4"]


def test_equal_blocks_pick_the_one_stranding_nothing_even_if_to_the_right():
    #   seats:  1 2 3 4 5 6 7 8 9 10
    #           x . . . x x . . . .
    # 3-4 strands seat 2 next to sold seat 1; 7-8 leaves 9-10 together.
    layout = seat_map("A: x...xx....")
    assert labels(find_best_block(layout, count=2)) == ["A7", "A8"]


def test_held_seats_count_as_taken():
    layout = seat_map("A: ....hh....")
    # 3-4 and 7-8 tie on everything but their numbers: the lower ones win.
    assert labels(find_best_block(layout, count=2)) == ["A3", "A4"]


def test_aisle_breaks_adjacency():
    layout = seat_map("A: .. ..")
    assert labels(find_best_block(layout, count=2)) == ["A1", "A2"]
    assert find_best_block(layout, count=3) is None


def test_category_filter_uses_only_that_category():
    layout = seat_map(
        "A: ......",
        "B: ......",
        "C: ......",
        categories={"C": "premium"},
    )
    assert labels(find_best_block(layout, count=2, category="premium")) == [
        "C3",
        "C4",
    ]
    assert labels(find_best_block(layout, count=2, category="standard")) == [
        "B3",
        "B4",
    ]
    assert find_best_block(layout, count=2, category="recliner") is None


def test_block_never_spans_two_rows():
    layout = seat_map("A: xxxx..", "B: ..xxxx")
    assert find_best_block(layout, count=3) is None
    assert labels(find_best_block(layout, count=2)) in (["A5", "A6"], ["B1", "B2"])


def test_none_when_no_block_is_long_enough():
    layout = seat_map("A: .x.x.x", "B: x.x.x.")
    assert find_best_block(layout, count=2) is None
    assert find_best_block(layout, count=1) is not None


def test_unpriced_seats_are_never_offered():
    layout = seat_map("A: ....")
    for seat in layout:
        seat["price"] = None
    assert find_best_block(layout, count=1) is None


@pytest.mark.parametrize("count", [0, -1])
def test_non_positive_count_finds_nothing(count):
    assert find_best_block(seat_map("A: ...."), count=count) is None


def test_whole_row_when_count_equals_row_length():
    layout = seat_map("A: ....", "B: ..x.", "C: ....")
    assert labels(find_best_block(layout, count=4)) == ["C1", "C2", "C3", "C4"]


# --- wheelchair and companion places ------------------------------------------------


def test_access_places_are_never_proposed_without_accessible():
    layout = seat_map("A: ...cwwc...")

    assert labels(find_best_block(layout, count=2)) == ["A2", "A3"]
    assert find_best_block(seat_map("A: .cwc."), count=2) is None


def test_accessible_proposes_a_space_with_its_companion():
    layout = seat_map("A: ..........", "B: ...cwwc...", "C: ..........")

    assert labels(find_best_block(layout, count=2, accessible=True)) == ["B4", "B5"]


def test_accessible_single_seat_is_a_wheelchair_space():
    layout = seat_map("A: ..........", "B: ...cwwc...")

    assert labels(find_best_block(layout, count=1, accessible=True)) == ["B5"]


def test_accessible_block_may_add_plain_seats_beside_the_pair():
    layout = seat_map("A: ..cw......")

    assert labels(find_best_block(layout, count=3, accessible=True)) == [
        "A3",
        "A4",
        "A5",
    ]


def test_accessible_without_a_free_space_is_none():
    layout = seat_map("A: ...cxxc...")

    assert find_best_block(layout, count=2, accessible=True) is None
