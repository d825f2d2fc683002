"""`faceprint liveness VIDEO --challenge turn_left,blink [--json]`: the active check on a clip file."""

from __future__ import annotations

import argparse


def cmd_challenge(args: argparse.Namespace) -> int:
    from ..cli import exits
    from ..cli.output import emit
    from ..errors import InputError
    from ..pipeline import Analyzer
    from .active import FrameMeter, check_clip, parse_challenges, video_frames

    challenges = parse_challenges(args.challenge)
    if len(args.inputs) != 1:
        raise InputError("--challenge checks one clip: give one VIDEO")
    meter = FrameMeter(Analyzer.from_name(args.model).detector)  # needs the landmarks extra
    result = check_clip(meter, video_frames(args.inputs[0]), challenges, args.deadline)
    rec = {"file": args.inputs[0], **result.to_dict()}
    if args.json:
        emit(rec)
    else:
        print(f"{args.inputs[0]}: {'LIVE' if result.live else 'not live'}"
              + (f" ({result.reason})" if result.reason else ""))
        for c in result.challenges:
            when = f"at {c.when:.2f} s" if c.when is not None else "not done"
            print(f"  {c.challenge}: {'passed' if c.passed else 'failed'} {when}")
    return exits.OK
