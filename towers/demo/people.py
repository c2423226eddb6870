"""Plausible British names for demo people, generated from a seed so every run builds the same estate."""

import random


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Amelia Olivia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Evie Poppy Ella Harper Sienna "
    "Oliver George Arthur Noah Muhammad Leo Oscar Harry Archie Jack Henry Charlie Freddie Theo Thomas Alfie "
    "Priya Aisha Zara Hannah Chloe Emily Jessica Lucy Sarah Rachel Daniel James William Joseph Samuel David "
    "Ahmed Ravi Sanjay Kwame Chidi Tomasz Piotr Sean Niamh Siobhan Rhys Dylan Ffion Morgan Callum Euan Fraser"
)
LAST_NAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Robinson Thompson Evans Walker White "
    "Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner Martin Cooper Hill Ward Hughes Moore "
    "Clark King Harrison Lewis Baker Lee Allen Morris Khan Scott Watson Davis Parker James Bennett Young "
    "Phillips Richardson Mitchell Bailey Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox"
)
RANKS = ("Police Constable", "Detective Constable", "Sergeant", "Inspector", "Police Staff", "PCSO")


def names(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    return [(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(count)]


def rank(index: int) -> str:
    return RANKS[index % len(RANKS)]
