"""Regenerate docs/pictures/*.png, the README's example pictures, from the seed article and a few
synthetic reports written for this script (nothing from ../shared).

    .venv/bin/python tools/readme_pictures.py

The articles go through the real pipeline into a temporary SQLite store; the pictures come from
the same services the bot uses (`BriefingService`, `PictureService`), on a fixed clock so the
output only changes when the code does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.analysis import AnalysisRequest, ThreadAnalyzer, run_request
from bot.domain.digests import Digest, DigestSubscription
from bot.domain.stories import Briefing, BriefingQuery
from bot.nlp.pipeline import load_nlp
from bot.services.briefings import BriefingService
from bot.services.pictures import PictureService
from storage import open_store

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "pictures"
SEED = REPO / "seeds" / "000_e9df03318483bce7.txt"
NOW = datetime(2016, 1, 21, 9, 0, tzinfo=UTC)
SCOPE = 0

# Written for this script: invented reports in the style of the seed, dated around it.
REPORTS = [
    (
        4,
        "https://courier.example/asia/sanctions-push",
        """Seoul and Tokyo urge Beijing to back new North Korea sanctions
South Korea and Japan on Sunday urged China to support tougher United Nations sanctions on \
North Korea after its fourth nuclear test, as envoys met in Seoul.
South Korean Foreign Minister Yun Byung-se said after talks with Japanese officials that \
Beijing held the key to any pressure on Pyongyang.
"China has a unique role to play," Mr. Yun told reporters, adding that Russia should also \
join the effort at the Security Council.
Japan said it would coordinate closely with the United States on a draft resolution.
""",
    ),
    (
        3,
        "https://herald.example/world/seoul-tokyo-envoys",
        """Envoys from Japan and South Korea press China over Pyongyang
Diplomats from Japan and South Korea pressed China on Monday to enforce existing sanctions on \
North Korea and to back new ones, a day after talks in Seoul.
Officials in Tokyo said the United States and Japan were drafting measures targeting North \
Korea's banks and shipping, and that Russia's support was uncertain.
"Words are not enough after a nuclear test," a Japanese official said.
""",
    ),
    (
        2,
        "https://gazette.example/europe/border-patrols",
        """Poland and Germany agree on joint border patrols
Foreign ministers from Poland and Germany agreed in Warsaw on Tuesday to run joint patrols along \
their shared border, after months of dispute over migrant crossings.
Polish Foreign Minister Tomasz Nowak said the first patrols would start in the spring, and \
German officials said Austria and the Czech Republic had been invited to join.
"Neighbours guard the gate together," Mr. Nowak said after the meeting.
""",
    ),
    (
        1,
        "https://post.example/africa/nile-talks",
        """Egypt, Ethiopia and Sudan resume talks on the Nile dam
Negotiators from Egypt, Ethiopia and Sudan met in Khartoum on Wednesday to resume talks on how \
the great dam on the Blue Nile should be filled during years of drought.
"Water must unite us, not divide us," said Ethiopia's water minister, Dawit Alemu.
Egypt's delegation said Cairo wanted a binding agreement, while Sudan proposed that Kenya and \
the African Union help monitor the filling.
""",
    ),
    (
        1,
        "https://wire.example/un/north-korea-draft",
        """Security Council members discuss new North Korea sanctions draft
The United States circulated a draft resolution on North Korea to Security Council members on \
Wednesday, diplomats said, and asked China and Russia to back a ban on coal exports.
Britain and France said they supported the draft, while Japan and South Korea urged a quick \
vote after the nuclear test.
"The council must answer with one voice," said the U.S. ambassador, Samantha Power.
Chinese diplomats said Beijing was studying the text and warned against steps that could \
destabilise the Korean Peninsula.
""",
    ),
    (
        0,
        "https://courier.example/un/draft-vote",
        """Vote on North Korea sanctions draft expected next week
Diplomats at the United Nations said a vote on new sanctions against North Korea could come \
next week, after the United States and China narrowed their differences over the draft.
Japan and South Korea welcomed the progress, and Russia said it would not block a text aimed \
at Pyongyang's weapons programmes.
""",
    ),
    (
        0,
        "https://gazette.example/africa/nile-no-deal",
        """Nile dam talks end without a deal; Egypt and Ethiopia to meet again
Talks between Egypt, Ethiopia and Sudan on the Blue Nile dam ended in Khartoum on Thursday \
without an agreement, but the three countries said they would meet again in Addis Ababa.
Egypt's foreign minister said Cairo still sought guarantees for the river's flow in dry years.
""",
    ),
    (
        0,
        "https://wire.example/americas/lithium-pact",
        """Chile and Argentina sign lithium pact as China and the US look on
Chile and Argentina signed an agreement on Thursday to coordinate lithium mining rules, as \
buyers in China and the United States compete for the metal used in batteries.
Bolivia, which holds the world's largest reserves, said it would study joining the pact.
"South America will set its own terms," Chile's mining minister said at the signing.
""",
    ),
]


async def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    nlp = load_nlp()
    with tempfile.TemporaryDirectory() as folder:
        store = await open_store(Path(folder) / "pictures.db")
        try:
            seed = SEED.read_text(encoding="utf-8")
            dated = [(1, "https://www.washingtontimes.com/kerry-beijing", seed), *REPORTS]
            for days_ago, url, text in dated:
                result = run_request(nlp, AnalysisRequest(data=text, name=url, url=url))
                # Mid-afternoon on the days before, early morning on the digest's own day.
                when = NOW - timedelta(days=days_ago, hours=-6 if days_ago else 2)
                await store.articles.add(SCOPE, result.article, result.analysis, now=when)
            analyzer = ThreadAnalyzer(None)
            briefings = BriefingService(store, analyzer, lambda: NOW)
            pictures = PictureService(analyzer)
            relations = await briefings.relations(SCOPE, "North Korea", briefings.last_days(7))
            week = await briefings.brief(
                SCOPE, BriefingQuery(briefings.last_days(7), stories=5, sentences=2)
            )
            day = await briefings.brief(SCOPE, BriefingQuery(briefings.last_days(1)))
            digest = day_digest(day)
            made = {
                "relations.png": await pictures.relations(relations),
                "brief-timeline.png": await pictures.timeline(week),
                "digest-map.png": await pictures.digest_map(digest),
            }
        finally:
            await store.close()
    for name, picture in made.items():
        if picture is None:
            print(f"could not draw {name}", file=sys.stderr)
            return 1
        (OUT / name).write_bytes(picture.png)
        print(f"{OUT / name}: {len(picture.png) / 1000:.0f} KB — {picture.description}")
    return 0


def day_digest(briefing: Briefing) -> Digest:
    """The last day's briefing as the digest of 21 January 2016 (its map's title)."""
    subscription = DigestSubscription(
        id=1,
        guild_id=1,
        channel_id=1,
        local_time="09:00",
        timezone="UTC",
        topic=None,
        country=None,
        quiet=False,
        created_by=None,
        created_at=NOW,
        next_due_at=NOW,
        last_digest_until=None,
        last_sent_at=None,
    )
    return Digest(subscription, briefing, date(2016, 1, 21), "readme")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
