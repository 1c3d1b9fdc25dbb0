"""``python -m bot demo``: the whole story, who sees what, the renderer, and ``--json``."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from demo.office import DemoError
from demo.render import mrkdwn, render_blocks, render_view
from demo.run import run_demo
from demo.script import INCIDENT, MARCUS_NOTE, NOOR_NOTE, PRIYA_NOTE, SCRIPT, Step
from demo.transcript import Ask, Person, Seen, StepRecord, summary_lines
from handlers.requests.blocks import request_modal
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[1]
# The demo keeps its office in a SQLite file of its own whatever the test database: it runs once.
pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="the demo runs on its own database: once, in the SQLite pass"
)
STEP = re.compile(r"^Step (\d+) — (.+)$")
PERSON = re.compile(r"^── What (\w+) \((\w+)\) sees ──$")

Sections = dict[tuple[int, str], list[str]]


def sections_of(transcript: str) -> Sections:
    """(step number, person) → the lines printed under "What <person> sees" in that step."""
    found: Sections = {}
    step, who = 0, None
    for line in transcript.splitlines():
        if match := STEP.match(line):
            step, who = int(match[1]), None
        elif match := PERSON.match(line):
            who = match[1]
            found[(step, who)] = []
        elif line.startswith("Nothing new for:") or line == "Who saw what":
            who = None
        elif who is not None:
            found[(step, who)].append(line)
    return found


def seen(sections: Sections, step: int, person: str) -> str:
    """Everything a person saw in one step, as one line (wrapping undone)."""
    return " ".join(" ".join(sections.get((step, person), [])).split())


def leaks(sections: Sections, people: set[str], words: list[str], note: str) -> list[str]:
    """Lines shown to ``people`` containing any of ``words`` (as words), or sections containing ``note``."""
    found = []
    for (step, person), lines in sections.items():
        if person not in people:
            continue
        found += [f"step {step}, {person}: {line}" for line in lines if any(_word(w, line) for w in words)]
        if note and " ".join(note.split()) in " ".join(" ".join(lines).split()):
            found.append(f"step {step}, {person}: the note")
    return found


def _word(word: str, line: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", line) is not None


def step_of(function_name: str) -> int:
    """The number of the step a script function plays (so tests don't hard-code later numbers)."""
    return next(n for n, step in enumerate(SCRIPT, 1) if step.run.__name__ == function_name)


def before(sections: Sections, step: int) -> Sections:
    return {k: v for k, v in sections.items() if k[0] < step}


async def play(**options) -> str:
    out = io.StringIO()
    await run_demo(out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def transcript() -> str:
    """One play of the whole script, shared by the tests that only read what it printed."""
    return asyncio.run(play())


def test_the_demo_tells_the_whole_story_step_by_step(transcript: str) -> None:
    headings = [line for line in transcript.splitlines() if STEP.match(line)]
    assert headings == [f"Step {n} — {step.title}" for n, step in enumerate(SCRIPT, 1)]
    s = sections_of(transcript)

    assert "Added @Jordan, @Alex" in seen(s, 1, "Dana") and "training not recorded" in seen(s, 1, "Dana")
    assert "[ Talk to a peer ]" in seen(s, 2, "Priya") and "As a peer supporter" in seen(s, 2, "Jordan")
    # Priya asks; Jordan gets a blind offer with Accept and Pass.
    assert "Talk to a peer" in seen(s, 3, "Priya") and "We got your request" in seen(s, 3, "Priya")
    assert "A colleague would like to talk" in seen(s, 3, "Jordan")
    assert "[ Accept ] [ Pass ]" in seen(s, 3, "Jordan")
    # Jordan passes: the offer moves on to Alex.
    assert "Jordan clicks [ Pass ] on the offer." in transcript
    assert "You passed on this request" in seen(s, 4, "Jordan")
    assert "A colleague would like to talk" in seen(s, 4, "Alex")
    # Alex accepts and now sees who asked and the note; Priya learns who will reach out.
    assert "Who: @Priya" in seen(s, 5, "Alex") and f"Their note: {PRIYA_NOTE}" in seen(s, 5, "Alex")
    assert "@Alex will reach out to you by Slack message" in seen(s, 5, "Priya")
    assert "Your request #1 is with @Alex" in seen(s, 6, "Priya")
    # Alex closes with minutes and a referral; Priya is told.
    assert "Minutes spent" in seen(s, 7, "Alex") and "You closed this request" in seen(s, 7, "Alex")
    assert "(40 min recorded)" in seen(s, 7, "Alex")
    assert "has closed your request" in seen(s, 7, "Priya")
    # Jordan steps away; Marcus's request escalates to Dana without a name, then goes to Casey blind.
    assert "You're away" in seen(s, 8, "Jordan")
    assert "No peer supporter is free" in seen(s, 9, "Marcus")
    assert "A peer support request is waiting" in seen(s, 9, "Dana")
    assert "How soon: As soon as possible" in seen(s, 9, "Dana")
    assert "A colleague would like to talk" in seen(s, 10, "Casey")
    # The summary says who saw what.
    assert "Shown Priya's name or note: Alex (peer supporter)." in transcript
    # Marcus's name and note reach Casey only when Casey accepts, after step 10.
    assert "Shown Marcus's name or note: Casey (peer supporter)." in transcript
    assert "Talk to a peer (the same form as in step 3, shown there in full)" in seen(s, 9, "Marcus")


def test_the_coordinator_and_the_supporters_who_did_not_hold_a_request_never_see_who_asked(
    transcript: str,
) -> None:
    s = sections_of(transcript)
    # The checks below must look at something: these people did see messages about the requests.
    assert seen(s, 3, "Jordan") and seen(s, 9, "Dana") and seen(s, 10, "Casey")

    priya = ["Priya", "UEMP1", "Hollis"]
    assert leaks(s, {"Dana", "Jordan", "Casey", "Marcus"}, priya, PRIYA_NOTE) == []
    marcus = ["Marcus", "UEMP2", "warehouse"]
    assert leaks(s, {"Dana", "Jordan", "Alex", "Priya", "Noor", "Ben"}, marcus, MARCUS_NOTE) == []
    accepted = step_of("the_new_supporter_accepts")
    assert leaks(before(s, accepted), {"Casey"}, marcus, MARCUS_NOTE) == []
    assert "Who: @Marcus" in seen(s, accepted, "Casey")
    # Before accepting, Alex saw the offer blind too.
    assert leaks({k: v for k, v in s.items() if k[0] == 4}, {"Alex"}, priya, PRIYA_NOTE) == []


def test_an_anonymous_request_is_talked_through_the_app_and_the_name_shared_only_when_chosen(
    transcript: str,
) -> None:
    s = sections_of(transcript)
    asked, accepted = (
        step_of("an_employee_asks_without_giving_their_name"),
        step_of("the_supporter_accepts_without_learning_who"),
    )
    talked, shared = (
        step_of("they_talk_through_the_app"),
        step_of("the_colleague_shares_her_name_and_ends_the_conversation"),
    )

    assert "Anonymity: Keep my name private" in transcript
    assert "without your name" in seen(s, asked, "Noor")
    assert "A colleague (anonymous) would like to talk" in seen(s, asked, "Alex")
    assert "Their note is shown only if you accept" in seen(s, asked, "Alex")
    # Alex accepts: the note, a thread to write in, and still no name; Noor sees Alex's first name.
    assert "Who: a colleague (anonymous)" in seen(s, accepted, "Alex")
    assert f"Their note: {NOOR_NOTE}" in seen(s, accepted, "Alex")
    assert "== Anonymous conversation ==" in seen(s, accepted, "Alex")
    assert "Alex, a trained peer supporter, accepted your request" in seen(s, accepted, "Noor")
    assert "[ Reveal my name ] (asks “Share your name?” first)" in seen(s, accepted, "Noor")
    # Messages each way, each under the name the other may see.
    assert "Noor replies in the thread of “Your anonymous conversation”: “Hi." in " ".join(transcript.split())
    alex_saw, noor_saw = seen(s, talked, "Alex"), seen(s, talked, "Noor")
    assert "A new reply in the thread of “Anonymous conversation”" in alex_saw
    assert "· Anonymous colleague Hi. I don't really know where to start." in alex_saw
    assert "· Anonymous colleague Evenings." in alex_saw
    assert "· Alex Thank you for writing." in noor_saw
    # Noor shares her name (Slack asks first), writes once more, and ends the conversation.
    assert "then [ Share my name ] when Slack asks “Share your name?”" in " ".join(transcript.split())
    alex_saw, noor_saw = seen(s, shared, "Alex"), seen(s, shared, "Noor")
    assert "The colleague has shared their name with you: it's at the top of this thread" in alex_saw
    assert "Who: @Noor" in alex_saw and "The colleague shared their name: @Noor" in alex_saw
    assert "· @Noor Yes. Thank you." in alex_saw
    assert "Your name is now shown to Alex." in noor_saw and "· Alex Thank you, Noor." in noor_saw
    assert "The colleague ended this conversation." in alex_saw
    assert "You ended this conversation." in noor_saw
    assert "This conversation has ended (you ended it)" in noor_saw
    assert "This conversation has ended (the colleague ended it)" in alex_saw


def test_nobody_but_noor_sees_her_name_before_she_shares_it_and_only_alex_after(transcript: str) -> None:
    s = sections_of(transcript)
    shared = step_of("the_colleague_shares_her_name_and_ends_the_conversation")
    noor, everyone_else = ["Noor", "UEMP3"], {"Dana", "Jordan", "Alex", "Casey", "Priya", "Marcus", "Ben"}
    assert seen(s, step_of("they_talk_through_the_app"), "Alex"), "the check must look at something"

    assert leaks(before(s, shared), everyone_else, noor, "") == []
    # In the step she shares it, what Alex sees before she clicks names her nowhere either.
    alex_lines = s[(shared, "Alex")]
    last_blind = next(i for i, line in enumerate(alex_lines) if "I'd like you to know who I am." in line)
    assert [line for line in alex_lines[: last_blind + 1] if _word("Noor", line) or "UEMP3" in line] == []
    assert any(_word("@Noor", line) for line in alex_lines[last_blind:])
    assert leaks(s, everyone_else - {"Alex"}, noor, NOOR_NOTE) == []
    # Only Alex, once holding the request, reads her note.
    assert (
        leaks(before(s, step_of("the_supporter_accepts_without_learning_who")), {"Alex"}, [], NOOR_NOTE) == []
    )

    assert "Shown Noor's note: Alex (peer supporter)." in transcript
    assert "Shown Noor's name before Noor chose to share it: nobody." in transcript
    assert "Shown Noor's name after sharing it: Alex (peer supporter)." in transcript


def test_an_incident_brings_checkins_answered_three_ways_and_counted(transcript: str) -> None:
    s = sections_of(transcript)
    opened, first = step_of("a_critical_incident"), step_of("the_first_checkins_go_out")
    answered = step_of("each_answers_in_their_own_way")
    affected = ("Priya", "Marcus", "Ben")

    assert "Incident follow-up" in seen(s, opened, "Dana") and "[ e.g. Room 4B ]" in seen(s, opened, "Dana")
    assert "People affected: @Priya, @Marcus, @Ben" in " ".join(transcript.split())
    assert f"{INCIDENT} (incident #1) is set up: 18 check-ins scheduled for 3 people." in seen(
        s, opened, "Dana"
    )
    assert "The first goes out Tue 1 Dec, 16:00." in seen(s, opened, "Dana")
    for person in affected:
        assert "== Group debrief == After Courthouse lockdown" in seen(s, opened, person)
        assert "When: Thu 3 Dec, 12:30 Where: Room 4B" in seen(s, opened, person)
    # A day later (no real waiting: the clock is moved), one warm check-in each.
    assert "The next day, Tuesday 1 December." in transcript
    for person in affected:
        text = seen(s, first, person)
        assert f"We're checking in with everyone affected by {INCIDENT}." in text
        assert "[ I'm doing okay ] [ I'd like to talk to a peer ] [ Stop these check-ins ]" in text
        assert "988" in text
    assert not {who for (step, who) in s if step == first} - set(affected)
    # Three answers, three redraws; Ben's answer becomes a request offered blind.
    assert "Thank you for letting us know." in seen(s, answered, "Priya")
    assert "A peer supporter will reach out" in seen(s, answered, "Ben")
    assert "We got your request" in seen(s, answered, "Ben")
    assert "We won't send more check-ins about Courthouse lockdown" in seen(s, answered, "Marcus")
    offered = [
        p for p in ("Jordan", "Alex", "Casey") if "A colleague would like to talk" in seen(s, answered, p)
    ]
    assert len(offered) == 1 and "[ Accept ] [ Pass ]" in seen(s, answered, offered[0])
    assert (
        f"#1 {INCIDENT}, critical incident, 2026-11-30: 3 people · a plan of 6 check-ins"
        " · next check-in 2026-12-03 · check-ins sent 3, due 10, answered 3" in (seen(s, answered, "Dana"))
    )
    assert "Shown Ben's name: nobody." in transcript


def test_statistics_export_and_audit_show_numbers_and_no_names(transcript: str) -> None:
    s = sections_of(transcript)
    dana = seen(s, step_of("statistics_without_names"), "Dana")
    logged = step_of("contacts_are_recorded")

    assert "Log a contact" in seen(s, logged, "Jordan")
    assert "How it happened: Walk-in" in " ".join(transcript.split())
    assert "Gathering the numbers…" in dana
    assert "the answer to `/peer stats`, a moment later == Peer support statistics ==" in dana
    assert "Requests: 4 made · 3 accepted · fewer than 3 escalated · 0 cancelled" in dana
    assert "Not yet: 2026-Q4 is still running: its statistics are published on 2027-01-01." in dana
    assert "Contacts: 3 · supporter time, all together: 1.8 h" in dana
    assert "Case or trauma exposure: fewer than 3" in dana and "Walk-in: fewer than 3" in dana
    assert f"{INCIDENT}: 3 sent, 3 answered" in dana
    assert "Counts from 1 to 2 show as “fewer than 3”" in dana
    assert "File peer-support-2026-Q4.csv: “Contacts by quarter and area (2026-Q4)”" in dana
    assert "File peer-support-2026-Q4.png: “Contacts per quarter (2026-Q4)”" in dana
    assert "2026-Q4,0,fewer than 3,fewer than 3,0,0,0,3" in dana
    assert "The CSV and the chart are in your DM with the app." in dana
    assert "Coordinator actions (latest first" in dana and "@Dana · incident created: #1" in dana


def test_the_coordinator_never_sees_a_requester_or_a_note(transcript: str) -> None:
    s = sections_of(transcript)
    dana = [(step, line) for (step, who), lines in s.items() if who == "Dana" for line in lines]
    assert len({step for step, _ in dana}) >= 6, "the check must look at what Dana saw"
    requesters = ["Priya", "UEMP1", "Marcus", "UEMP2", "Noor", "UEMP3", "Ben", "UEMP4"]
    for note in (PRIYA_NOTE, MARCUS_NOTE, NOOR_NOTE):
        assert leaks(s, {"Dana"}, requesters, note) == []
    # Not even a fragment of a note.
    for word in ("Hollis", "warehouse", "Delgado", "snapping"):
        assert not [line for _, line in dana if word in line]


def test_the_summary_would_catch_a_name_shown_before_it_was_shared() -> None:
    noor, alex = Person("Noor", "UEMP3"), Person("Alex", "USUP2", "peer supporter")

    def shown(person: Person, text: str, at: float) -> Seen:
        return Seen(person, "message", "A DM", (text,), {"text": text}, at)

    record = StepRecord(1, "Leaky", seen=[shown(alex, "Who: @Noor", 1.0), shown(alex, "the note", 3.0)])
    asked = Ask(noor, "the note", anonymous=True, revealed_at=2.0)
    lines = summary_lines([record], [asked], [noor, alex])
    assert "  Shown Noor's name before Noor chose to share it: Alex (peer supporter)." in lines
    asked.revealed_at = None
    assert "  Shown Noor's name before Noor chose to share it: Alex (peer supporter)." in summary_lines(
        [record], [asked], [noor, alex]
    )


def test_the_leak_check_would_catch_a_name_or_a_wrapped_note() -> None:
    transcript = "\n".join(
        [
            "Step 9 — Something",
            "  09:00  Priya does something (narration is nobody's view).",
            "── What Dana (UCOORD1) sees ──",
            "      Who: @Priya",
            "── What Jordan (USUP1) sees ──",
            "      Their note: Rough week after the verdict in the",
            "        Hollis case. I'm not sleeping much.",
            "Nothing new for: Alex.",
        ]
    )
    s = sections_of(transcript)
    assert leaks(s, {"Dana"}, ["Priya"], PRIYA_NOTE) == ["step 9, Dana:       Who: @Priya"]
    assert "step 9, Jordan: the note" in leaks(s, {"Jordan"}, ["Priya"], PRIYA_NOTE)


async def test_step_pauses_after_each_step_once_it_is_printed() -> None:
    out = io.StringIO()
    printed_before_pause: list[str] = []

    async def pause() -> None:
        printed_before_pause.append(out.getvalue().rstrip().splitlines()[-1])

    await run_demo(out, pause=pause)
    assert len(printed_before_pause) == len(SCRIPT) - 1
    assert all(line.startswith("Nothing new for:") for line in printed_before_pause)


async def test_a_step_that_goes_off_script_stops_the_demo() -> None:
    async def click_a_missing_offer(office) -> None:
        await office.click(office.cast[1], office.dm_with_button(office.cast[1], "Accept"), "Accept")

    with pytest.raises(DemoError, match="no DM with a \\[ Accept \\] button"):
        await play(script=[Step("Nobody asked yet", click_a_missing_offer)])


async def test_python_m_bot_demo_reads_no_settings_and_writes_valid_json(tmp_path: Path) -> None:
    # Settings that would break the demo, or change its story, if it read them.
    (tmp_path / ".env").write_text("PEER_SERVICE_HOURS=whenever\nSLACK_API_URL=http://192.0.2.1/api/\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(scratch),
        "PEER_COORDINATORS": "UEMP1",
        "PEER_SUPPORTER_CAPACITY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'should-not-exist.db'}",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--step",
        "--json",
        str(tmp_path / "json"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert err.decode() == ""
    assert "Who saw what" in out.decode() and f"Step {len(SCRIPT)} — " in out.decode()
    assert not (tmp_path / "should-not-exist.db").exists()
    assert list(scratch.iterdir()) == [], "the temporary database was left behind"

    files = sorted((tmp_path / "json").iterdir())
    assert files and all(re.fullmatch(r"step\d\d-[a-z]+-\d+-[a-z]+\.json", f.name) for f in files)
    for path in files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if path.stem.endswith("reply"):
            assert payload["text"]
        elif path.stem.endswith("files"):
            assert [f["filename"] for f in payload["files"]]
        else:
            assert isinstance(payload["blocks"], list) and payload["blocks"], path.name
    held = json.loads((tmp_path / "json" / "step05-alex-1-update.json").read_text(encoding="utf-8"))
    assert any(PRIYA_NOTE in json.dumps(block) for block in held["blocks"])
    modal = json.loads((tmp_path / "json" / "step03-priya-1-modal.json").read_text(encoding="utf-8"))
    assert modal["type"] == "modal" and "id" not in modal and "state" not in modal


def test_piping_the_demo_into_head_ends_quietly(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"\n"  # the reader takes the first line, then stops reading
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
    assert list(tmp_path.iterdir()) == [], "the temporary database was left behind"


def test_the_demo_drives_the_same_stand_in_as_the_tests() -> None:
    imported: set[str] = set()
    for path in (ROOT / "demo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert "slack_standin" in imported or any(m.startswith("slack_standin.") for m in imported)
    assert not any(m.startswith("tests") for m in imported)
    assert "from slack_standin" in (ROOT / "tests" / "rig.py").read_text(encoding="utf-8")


# The renderer (pure)

NAMES = {"UEMP1": "Priya", "USUP2": "Alex"}


def test_mrkdwn_reads_as_plain_text_with_names() -> None:
    assert mrkdwn("*Who:* <@UEMP1> and <@U999|sam>", NAMES) == "Who: @Priya and @sam"
    assert mrkdwn("_quiet_ see <https://eap.example|the EAP> &lt;now&gt; &amp; <!here>", NAMES) == (
        "quiet see the EAP (https://eap.example) <now> & @here"
    )
    assert mrkdwn("snake_case_name and 2*3*4", NAMES) == "snake_case_name and 2*3*4"


def test_message_blocks_render_as_lines() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "A colleague would like to talk"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*About:* Grief\n*Who:* <@UEMP1>"},
            "fields": [{"type": "mrkdwn", "text": "*Minutes:* 40"}, {"type": "plain_text", "text": "*x*"}],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "action_id": "o"},
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Offered to <@USUP2>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "action_id": "a"},
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Hand back"},
                    "action_id": "h",
                    "confirm": {"title": {"type": "plain_text", "text": "Sure?"}},
                },
            ],
        },
        {"type": "video", "title": {"type": "plain_text", "text": "?"}},
    ]
    assert render_blocks(blocks, NAMES) == [
        "== A colleague would like to talk ==",
        "About: Grief",
        "Who: @Priya",
        "Minutes: 40",
        "*x*",
        "[ Open ]",
        "─" * 40,
        "· Offered to @Alex",
        "[ Accept ]  [ Hand back ] (asks “Sure?” first)",
        "[video block]",
    ]


def test_a_modal_renders_its_title_inputs_choices_and_buttons() -> None:
    lines = render_view(request_modal(note_max_length=300), NAMES)
    assert lines[0] == "Talk to a peer"
    assert lines[-1] == "[ Cancel ]  [ Send request ]"
    text = "\n".join(lines)
    assert "What would you like to talk about?\n    [ Choose one ▾ ]\n    choices: Work stress / " in text
    assert "How soon?\n    ( ) As soon as possible  ( ) This week  ( ) No rush" in text
    assert "People you'd rather not talk to (optional)\n    [ Nobody ▾ ] (several)" in text
    assert "hint: Optional, up to 300 characters." in text


def test_a_home_tab_renders_its_blocks() -> None:
    view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "Hi"}}]}
    assert render_view(view, NAMES) == ["Hi"]


def test_a_request_for_someone_outside_her_unit_goes_only_to_another_unit(transcript: str) -> None:
    s = sections_of(transcript)
    step = step_of("a_peer_from_outside_her_unit")
    offer = seen(s, step, "Alex")
    assert "A colleague would like to talk" in offer and "Asked for: someone outside their unit" in offer
    assert "Priya" not in offer and "isn't in my unit" not in offer, "the offer stays blind"
    for same_unit in ("Jordan", "Casey"):
        assert "A colleague would like to talk" not in seen(s, step, same_unit)
