# SPDX-License-Identifier: Apache-2.0
"""Hostile files in the notifications spool and inbox (docs/registry.md, "Notifications"): the
server reads back ROOT/notifications/<endpoint>/ and its inbox/, which anyone with write access
there can shape. Real events are spooled by a registry whose receiver is down, the server is
killed, and hostile entries are planted beside them: a truncated event, a 0-byte file, non-JSON,
a file over the 4 MiB bound, two events spliced into one file, a symlink and a hard link to an
event file outside the spool, a FIFO, names that are not ours (and a sequence number that would
wrap), a directory. After a restart with the receiver up, every real event (and one handed over
through the inbox) arrives, nothing from outside is sent, each hostile entry is moved to
quarantine/ with one log line, and the server stops cleanly."""
import json
import os
import signal
import time
import uuid

from registry_serve import Serve
from test_registry_notify import Receiver, endpoint_yaml, free_port, image, push_tag, stop

SKIPPED = "notification spool file skipped"


def test_hostile_spool_and_inbox_entries_are_quarantined(tmp_path):
    port = free_port()
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("hook", port))
    root = tmp_path / "root"
    srv = Serve(root, tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    spool = root / "notifications" / "hook"
    inbox = spool / "inbox"
    try:
        lay, img = image(tmp_path, srv)
        for tag in ("a", "b"):
            push_tag(srv, lay, img, tag)
        deadline = time.monotonic() + 30
        while len([p for p in spool.iterdir() if p.name.endswith(".json")]) < 2:
            assert time.monotonic() < deadline, "events not spooled"
            time.sleep(0.05)
    finally:
        srv.kill(signal.SIGKILL)
    real = sorted(p for p in spool.iterdir() if p.name.endswith(".json"))
    assert len(real) == 2
    sample = real[0].read_bytes()
    ev = json.loads(sample)

    # An event file outside the spool that must never be read through a link.
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = dict(ev, id="secret-" + str(uuid.uuid4()))
    (outside / "event.json").write_text(json.dumps(secret))
    (outside / "linked.json").write_text(json.dumps(dict(ev, id="hardlink-" + str(uuid.uuid4()))))

    def seq(n):
        return spool / f"{n:016x}.json"

    hostile = {
        seq(0x10): lambda p: p.write_bytes(sample[:len(sample) // 2]),  # truncated
        seq(0x11): lambda p: p.write_bytes(b""),  # 0 bytes
        seq(0x12): lambda p: p.write_bytes(b"hello, not json\n"),
        seq(0x13): lambda p: p.write_bytes(b"{" + b" " * (5 << 20) + b"}"),  # over 4 MiB
        seq(0x14): lambda p: p.write_bytes(  # splices a second event into the envelope
            json.dumps(dict(ev, id="splice-1")).encode() + b"," +
            json.dumps(dict(ev, id="splice-2")).encode()),
        seq(0x15): lambda p: p.symlink_to(outside / "event.json"),
        seq(0x16): lambda p: os.link(outside / "linked.json", p),
        seq(0x17): lambda p: os.mkfifo(p),
        seq(0x18): lambda p: p.write_text(json.dumps({"id": "x", "action": "exfiltrate"})),
        seq(0x19): lambda p: p.write_text("[1, 2]"),
        spool / "ffffffffffffffff.json": lambda p: p.write_bytes(sample),  # would wrap next_seq
        spool / "notes.txt": lambda p: p.write_text("hi"),
        spool / "0000000000000020.JSON": lambda p: p.write_bytes(sample),
        inbox / "0000000000000001-00000001-00000001.json":
            lambda p: p.symlink_to(outside / "event.json"),
        inbox / "0000000000000001-00000001-00000002.json": lambda p: p.write_bytes(b""),
        inbox / "0000000000000001-00000001-00000003.json": lambda p: p.mkdir(),
        inbox / "..json": lambda p: p.write_bytes(sample),
        inbox / "evil.json": lambda p: p.write_bytes(sample),
    }
    for p, make in hostile.items():
        make(p)
    # A good event handed over through the inbox, after the hostile ones in name order.
    good_inbox = dict(ev, id=str(uuid.uuid4()))
    good_inbox["target"] = dict(ev["target"], tag="via-inbox")
    (inbox / "0000000000000002-00000001-00000001.json").write_text(json.dumps(good_inbox))

    rcv = Receiver(port)
    srv = Serve(root, tmp_path / "serve2.log", args=["--config", str(cfg)]).start()
    try:
        got = rcv.wait("push", n=3, timeout=60)
        tags = sorted(e["target"].get("tag") for e in got)
        assert tags == ["a", "b", "via-inbox"], got
        # Everything planted is in quarantine/ (the inbox's with an "inbox." prefix).
        quarantine = spool / "quarantine"
        deadline = time.monotonic() + 30
        while len(os.listdir(quarantine) if quarantine.exists() else []) < len(hostile):
            assert time.monotonic() < deadline, (os.listdir(spool), os.listdir(inbox))
            time.sleep(0.05)
        q = sorted(os.listdir(quarantine))
        want = sorted(("inbox." if p.parent == inbox else "") + p.name for p in hostile)
        assert q == want, q
        assert sorted(os.listdir(spool)) == ["inbox", "quarantine"]
        assert os.listdir(inbox) == []
        # Nothing else was sent: no spliced, linked or outside event.
        ids = [e["id"] for e in rcv.events()]
        assert len(ids) == 3, ids
        assert not [i for i in ids if i.startswith(("secret", "hardlink", "splice"))], ids
        assert len(rcv.envelopes) == 3
        for _, body in rcv.envelopes:
            assert len(json.loads(body)["events"]) == 1
        # The link targets are untouched.
        assert json.loads((outside / "event.json").read_text())["id"] == secret["id"]
        assert (outside / "linked.json").exists()
        assert (quarantine / seq(0x15).name).is_symlink()
        log = stop(srv)
    finally:
        srv.kill()
        rcv.close()
    lines = [x for x in (tmp_path / "serve2.log").read_text().splitlines() + log.splitlines()
             if SKIPPED in x]
    assert len(lines) == len(hostile), "\n".join(lines)
    for p in hostile:
        assert len([x for x in lines if f"/{p.name}" in x]) == 1, (p.name, lines)


TRIMMED = "notification quarantine trimmed"


def test_quarantine_is_bounded_oldest_first(tmp_path):
    """quarantine/ keeps at most quarantine-max-files entries and quarantine-max-bytes bytes
    (docs/registry.md, "Notifications"): entries left by earlier runs and two hostile files the
    server moves in at start exceed both bounds; the oldest entries are removed first (a small
    one too: age decides, not size), only as many as needed, with one log line for the trim."""
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml(
        "hook", free_port(), "      quarantine-max-files: 4\n      quarantine-max-bytes: 2KiB\n"))
    root = tmp_path / "root"
    spool = root / "notifications" / "hook"
    quarantine = spool / "quarantine"
    quarantine.mkdir(parents=True)
    # Older entries: created now, before the server moves anything in (the move sets ctime).
    for name, size in (("old-1", 10), ("old-2", 3000), ("old-3", 10)):
        (quarantine / name).write_bytes(b"x" * size)
    for name in ("z-a.txt", "z-b.txt"):  # not spool file names: quarantined at start
        (spool / name).write_bytes(b"y" * 10)
    srv = Serve(root, tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        # 5 entries, 3,040 bytes: old-1 goes (count and bytes over), then old-2 (bytes still
        # over); 3 entries and 30 bytes are within both, so old-3 stays.
        assert sorted(os.listdir(quarantine)) == ["old-3", "z-a.txt", "z-b.txt"]
        log = stop(srv)
    finally:
        srv.kill()
    lines = [x for x in (tmp_path / "serve.log").read_text().splitlines() + log.splitlines()
             if TRIMMED in x]
    assert len(lines) == 1, lines
    for kv in ("endpoint=hook", "removed=2", "removed_bytes=3010", "kept=3", "kept_bytes=30",
               "max_files=4", "max_bytes=2048"):
        assert kv in lines[0].split(), lines[0]


def test_quarantine_replaced_by_a_symlink_leads_nowhere(tmp_path):
    """quarantine/ replaced by a symlink to a directory outside the spool: nothing is moved into
    it and nothing there is trimmed away, though it holds more than the bound; the hostile spool
    file is removed instead, with its one log line."""
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml(
        "hook", free_port(), "      quarantine-max-files: 1\n"))
    root = tmp_path / "root"
    spool = root / "notifications" / "hook"
    spool.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (outside / name).write_text(name)
    (spool / "quarantine").symlink_to(outside)
    (spool / "z-a.txt").write_bytes(b"y" * 10)
    srv = Serve(root, tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        assert sorted(os.listdir(outside)) == ["a.txt", "b.txt", "c.txt"]
        assert not (spool / "z-a.txt").exists()
        assert (spool / "quarantine").is_symlink()
        log = stop(srv)
    finally:
        srv.kill()
    text = (tmp_path / "serve.log").read_text() + log
    skipped = [x for x in text.splitlines() if SKIPPED in x]
    assert len(skipped) == 1 and "action=removed" in skipped[0].split(), skipped
    assert TRIMMED not in text
