#!/usr/bin/env python3
"""Reads a run folder's final.otio with OpenTimelineIO (PyPI) and converts it to a CMX 3600 EDL
(otio-cmx3600-adapter); prints what an editor would see, as JSON."""
import json
import os
import sys

import opentimelineio as otio

folder = sys.argv[1]
timeline = otio.adapters.read_from_file(os.path.join(folder, "final.otio"))
video = timeline.video_tracks()[0]
clips = [c for c in video if isinstance(c, otio.schema.Clip)]
audio = timeline.audio_tracks()
edl = otio.adapters.write_to_string(otio.schema.Timeline(name=timeline.name, tracks=[video.clone()]), adapter_name="cmx_3600")
print(json.dumps({
    "clips": [{"name": c.name, "frames": c.source_range.duration.value, "rate": c.source_range.duration.rate,
               "url": c.media_reference.target_url, "exists": os.path.isfile(os.path.join(folder, c.media_reference.target_url)),
               "scene": c.metadata.get("sceneflow", {}).get("scene"), "node": c.metadata.get("sceneflow", {}).get("node")} for c in clips],
    "audio_tracks": [t.name for t in audio],
    "audio_clips": [[c.media_reference.target_url for c in t if isinstance(c, otio.schema.Clip)] for t in audio],
    "markers": [m.name for m in video.markers],
    "edl_events": sum(1 for line in edl.splitlines() if line[:3].isdigit()),
}))
