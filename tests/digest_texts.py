"""Articles written for the digest tests, and storing them as the article service would."""

from __future__ import annotations

from datetime import datetime

from spacy.language import Language

from bot.analysis import AnalysisRequest, run_request
from storage import Store

BORDER_TALKS = """\
Poland and Germany agree on joint border patrols
Foreign ministers from Poland and Germany agreed in Warsaw on Monday to run joint patrols along \
their shared border, after months of dispute over migrant crossings.
Polish Foreign Minister Tomasz Nowak and his German counterpart Katrin Weber said the first \
patrols would start in the autumn and would include police from both countries.
"We are neighbours, and neighbours guard the gate together," Mr. Nowak said after the meeting.
Ms. Weber said Berlin would also fund new equipment at three crossings near Frankfurt an der Oder.
The European Commission welcomed the agreement and said it could serve as a model for others.
"""

NILE_TREATY = """\
Egypt and Ethiopia resume talks on the Nile dam
Negotiators from Egypt and Ethiopia met in Nairobi on Tuesday to resume talks on how the great \
dam on the Blue Nile should be filled during years of drought.
The talks, hosted by Kenya, are the first in more than a year and follow a series of warnings \
from Cairo about the river's flow during the summer months.
"Water must unite us, not divide us," said Ethiopian Water Minister Dawit Alemu, who led his \
country's delegation at the talks.
Egyptian officials said they wanted a binding agreement with clear rules for dry years, not \
another statement of principles.
Kenyan President William Otieno said both delegations had agreed to meet again next month.
"""

LITHIUM_DEAL = """\
Chile and Argentina sign a lithium cooperation pact
Chile and Argentina signed an agreement in Santiago on Wednesday to share research on lithium \
mining and to coordinate rules for foreign investors in the salt flats along their border.
Chilean Mining Minister Rosa Fuentes said the pact would help both countries bargain with buyers \
from China and the United States.
"Together we hold more lithium than anyone else, and we should act like it," Ms. Fuentes said.
Argentine officials said the first joint research centre would open in Salta next year.
"""


async def store_article(
    store: Store, nlp: Language, text: str, *, url: str, when: datetime, guild_id: int
) -> None:
    """Analyse with the real pipeline and store, as the article service does."""
    result = run_request(nlp, AnalysisRequest(data=text, name=url, url=url))
    await store.articles.add(guild_id, result.article, result.analysis, now=when)
