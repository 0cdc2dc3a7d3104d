"""A crisis pattern's words read in their own clause: denied there ("no thoughts of self
harm"), long past ("when I was a teenager"), or someone else's past ("my aunt took an overdose
in the 80s"). Plain functions over the message as the patterns read it; `bot.core.safety`
decides what follows from them."""

from __future__ import annotations

import re
from enum import StrEnum

import regex

from bot.core.text import fold, sentences

# The timeout of one staff pattern's search (see `bot.core.patterns.PATTERN_SECONDS`).
PATTERN_SECONDS = 0.25
LONG_RUNS = re.compile(r"([a-z])\1+")

# Words that deny or date a pattern's words in their clause; only ever used to lift a pattern
# the bank disagrees with. A denial comes before the words ("i'm not suicidal", "never wanted
# to die"), or after them only as "not any more" and the like: "I want to die and I don't know
# what to do" denies nothing (a review found it let through).
# Within this many words before them: "Never mind actually, I won't be here, I'm going to
# throw myself in front of a lorry" denies nothing.
DENIAL_WORDS = 6
DENIED_BEFORE = re.compile(
    r"\b(?:not|never|no|zero|dont|didnt|wont|wouldnt|isnt|wasnt|nothing like|used to)\b"
)
DENIED_AFTER = re.compile(
    r"\b(?:not (?:any ?more|now|these days|at all)|no longer|nothing like that|"
    r"(?:said|answered|told (?:him|her|them)) no(?!\s+to))\b"
)
# Risk placed well in the past, the core every reading below shares...
_LONG_PAST = (
    r"years ago|years back|months ago|long time ago|back then|in the past|when i was|"
    r"as a (?:kid|child|teen|teenager)"
)
# ...and a year, or being better since.
_SINCE_BETTER = r"(?:19|20)\d\d|recovered|much better|better place|free for|clean for"
# Dates, and a book or film, anywhere in the clause.
PAST = re.compile(
    rf"\b(?:{_LONG_PAST}|{_SINCE_BETTER}|last year|"
    r"back (?:at|in) (?:uni|university|school|college|sixth form)|"
    r"doing (?:well|great|fine)|better now)\b"
)
MEDIA_WORDS = re.compile(
    r"\b(?:film|movie|book|novel|show|series|episode|storyline|character|podcast|song|album|"
    r"news|article|documentary)\b"
)
# A holiday or an appointment explains not being around ("won't be around next tuesday,
# hospital appointment"), but not when the writer says what they will do ("I'm going to kill
# myself after my appointment on Friday").
SCHEDULE = re.compile(r"\b(?:holiday|appointment)\b")
# Nor when the absence has no end: "I won't be around much longer", "for much longer".
LASTING = re.compile(r"\s*(?:much\s+)?(?:longer|any ?more|for good|for ever|forever)\b")
INTENT = re.compile(
    r"\b(?:(?:im|i am|i will|ill|i|ive)\s+(?:\w+\s+)?"
    r"(?:going to|gonna|planning to|plan to|will|want to|wanna|decided)|made up my mind)\b"
)

# Narrower, for a sentence: an explicit denial, or risk placed well in the past.
SETTLED = re.compile(
    r"\b(?:not (?:suicidal|(?:going to|gonna)(?! (?:lie|pretend|sugar ?coat))|thinking|planning|"
    r"in (?:any )?danger)|"
    r"no (?:plans?(?! to (?:call|tell|stop|ring|go to|see))|thoughts?|urges?|intention|risk)|"
    rf"never (?:would|have|self)|used to|{_LONG_PAST}|{_SINCE_BETTER})\b"
)
# Narrower still, for the sentence after one: only a plain date. Crisis wording itself says
# "much better", "a better place", "used to", or names a year ("What is DIT? I'm going to
# finish it on Friday. The world will be a better place.", from a review).
DATED = re.compile(rf"\b(?:{_LONG_PAST})\b")


# Where a pattern's words are said matters: in a clause that denies them, places them long ago,
# or tells of someone else's past or death, they are not a crisis by themselves. Such a match is
# "settled" by its clause, and the message is then judged by the bank as if no pattern had
# matched. Every occurrence of every matching pattern must be settled; anything recent in the
# message ("again", "last night") keeps the pattern's alarm.
CLAUSE_END = re.compile(
    r"[,;:()\u2013\u2014]|\s-\s|(?<=[.!?])\s+|\n+|\b(?:but|though|although|however|whereas|yet)\b",
    re.I,
)
# A denial close before the words: "not", "never", "no thoughts of" (no new subject between).
DENIAL = re.compile(
    r"\b(?:not|never|no|dont|didnt|doesnt|wont|wouldnt|havent|hasnt|hadnt|isnt|wasnt|arent|aint|"
    r"nor)\b"
)
DENIAL_REACH = 4  # words between a denial and what it denies
# Between a denial and the words, these make it no denial of them: a new subject or object
# ("im not ok i want to die", "doesnt feed me and locks me in"), doubt ("i dont know if i want
# to live"), going on ("he wont stop saying"), or a point denied ("dont see the point in").
NOT_A_DENIAL = re.compile(
    r"\b(?:i|im|ive|id|ill|me|my|he|hes|hed|him|his|she|shes|shed|her|they|theyre|theyve|them|"
    r"we|were|us|you|youre|it|and|or|then|know|sure|think|if|whether|why|how|care|mind|lie|lying|"
    r"joking|kidding|say|said|mean|matter|feel|stop\w*|keep\w*|quit|leave|let|help|see|find|"
    r"any|much|left|more|point|reason)\b"
)
# A new subject after a denial starts another statement: "if we dont get help im going to".
NEW_SUBJECT = re.compile(r"\b(?:i|im|ive|id|ill|we|were|he|hes|she|shes|they|theyre)\b")
# A condition, not a denial: "they say if i dont hurt myself ...".
CONDITION = re.compile(r"\b(?:if|unless|until|or\s+else|otherwise)(?:\s+\w+){0,2}\s*$")
# Hedged ("not suicidal exactly") or turned ("... i just wouldnt mind if i didnt wake up"):
# after a denial, words of dying or harm say the denial was not the whole of it.
HEDGE = re.compile(r"^\s*(?:exactly|as\s+such|per\s+se|yet|really|i\s+(?:think|guess))\b")
TURNED = re.compile(
    r"\b(?:but|though|although|just|except|only)\b.{0,100}\b(?:die|died|dying|dead|death|"
    r"wake\s+up|gone|disappear\w*|not\s+(?:be\s+)?here|end\w*|hurt\w*|kill\w*|harm\w*|cut\w*|"
    r"pills|tablets|rope|bridge|better\s+off|glad|relief|relieved)\b"
)
# A question someone else asked, then answered no: "my gp asked if id thought of ... i havent".
ASKED = re.compile(
    r"\b(?:asked|asks|ask|asking)\b(?:\s+\w+){0,3}\s+(?:if|whether|about)\b|"
    r"\b(?:have|had|did)\s+i\s+ever\b"
)
ANSWERED_NO = re.compile(
    r"\b(?:i\s+(?:honestly\s+|really\s+)?(?:havent|have\s+not|hadnt|dont|do\s+not|never\s+have)|"
    r"(?:the\s+)?answer\s+(?:is|was)\s+no|"
    r"honestly\s+no|no\s+i\s+(?:havent|dont)|not\s+really|nope|never\s+have)\b"
)
ANSWER_RETRACTED = re.compile(
    r"\b(?:but\s+(?:i\s+(?:have|do|am)|honestly|actually|really)|lied|more\s+than|worse|"
    r"any\s*more|(?:arent|not)\s+(?:just\s+)?(?:thoughts|feelings)|past\s+(?:that|thinking|feelings)|"
    r"(?:ive|i\s+have)\s+(?:done|decided|made|planned|got)|decided|a\s+date|a\s+plan)\b"
)
# Long ago, in the same sentence ("when i was a teenager", "at 19", "in the 90s").
LONG_AGO = re.compile(
    r"\b(?:(?:years|decades)\s+(?:ago|back)|long\s+(?:time\s+)?ago|when\s+(?:i|he|she|they)\s+"
    r"(?:was|were)\s+(?:a\s+|an\s+|at\s+|in\s+|\d+|little|younger|young|small|teen)|"
    r"as\s+(?:a|an)\s+(?:kid|child|teen|teenager|student|undergrad)|at\s+(?:1\d|2\d)\b(?!\s*(?:am|pm))|"
    r"in\s+(?:my|his|her|their)\s+(?:teens|twenties|thirties|early|late|\d0s)|"
    r"in\s+the\s+(?:\d0s|\d{4}s|nineties|eighties|seventies|sixties)|"
    r"back\s+(?:at|in)\s+(?:uni|university|school|college|sixth\s+form)|back\s+then|"
    r"(?:19|20)\d\d|behind\s+me|used\s+to|"
    # Childhood, told as such at a sentence's start or as "when I was growing up" (not "my son
    # is growing up").
    r"(?<![a-z] )growing\s+up|(?:when|while|as)\s+(?:i\s+was\s+)?growing\s+up|"
    # A history is the past by definition: "can dit help if ive got a history of self harm".
    r"(?:a|my|any|long|previous)\s+history\s+of)\b"
)
# A next sentence that places the one before long ago: "... thoughts of hurting her. That was
# eight years ago and she's a happy kid now."
DATES_THE_LAST = re.compile(
    r"^\s*(?:that|this|it|all\s+(?:that|this))(?:\s+all)?\s+(?:was|were|happened)(?:\s+\w+){0,3}?\s+"
    r"(?:(?:years|decades)\s+(?:ago|back)|long\s+(?:time\s+)?ago)\b"
    # Not the start of something that goes on: "it was years ago when all this started".
    r"(?!.*\b(?:start\w*|began|begun|since)\b)"
)
# In the words' own clause, what is now: a long-ago date elsewhere in it is not theirs ("i
# lost my job years back and now im stood on the bridge"), nor is a loss beside it.
_WELL = r"(?:fine|ok|okay|better|well|good|great|happy|safe|stable|recovered|sorted|over\s+it)"
SAID_NOW = re.compile(
    # "now I", but not "now I'm fine" or "now I'm 34".
    r"\bnow\s+(?:i|im|ive|id|ill|i\s+am|i\s+have)\b"
    rf"(?!\s+(?:\w+\s+){{0,2}}?(?:{_WELL}|doing|in\s+a\s+(?:good|better)|\d+)\b)|"
    r"\bstill\s+(?:living|lives|live|here|around|with|at\s+home|in\s+the\s+house)\b"
)
# ...or still to come ("i was sectioned years back and im going to kill myself this weekend",
# "growing up i was the scapegoat and i have a plan to").
NOT_PAST = re.compile(
    rf"{SAID_NOW.pattern}|"
    r"\b(?:tomorrow|this\s+(?:weekend|week|friday|saturday|sunday|monday|tuesday|wednesday|"
    r"thursday)|next\s+(?:week|month|friday|saturday|sunday|monday|tuesday|wednesday|thursday)|"
    r"on\s+(?:friday|saturday|sunday|monday|tuesday|wednesday|thursday|the\s+\d+\w*|"
    r"(?:my|his|her)\s+(?:birthday|anniversary|\d+\w*))|(?:a|my|the)\s+plan\s+to|"
    r"plan(?:ning|ned)?\s+to|(?:going|decided|want|wanna|gonna)\s+to|gonna)\b"
)

# A wish or plan now, in the pattern's own words ("wants to kill herself", "is going to").
INTENT_NOW = re.compile(
    r"\b(?:wants?|wanting|going|gonna|planning|plans?|threatens|threatening|trying|tries|"
    r"will|hell|shell|theyll)\b"
)
# Someone else's youth, named: "when my grandmother was young", "when our dad was a boy".
THEIR_YOUTH = re.compile(
    r"\bwhen\s+(?:my|our|his|her|their)\s+(?:\w+\s+)?\w+\s+(?:was|were)\s+(?:young|younger|"
    r"little|small|a\s+(?:child|kid|teen\w*|girl|boy|young\s+\w+|student))\b"
)
# Recent, or still going on, anywhere in the message: the past does not settle it then.
RECENT = re.compile(
    r"\b(?:again|relapse\w*|tonight|today|last\s+night|this\s+(?:morning|week|evening|afternoon)|"
    r"yesterday|\w+\s+hours?\s+ago|an\s+hour\s+ago|mins?\s+ago|minutes\s+ago|just\s+now|"
    r"right\s+now|rn|at\s+the\s+moment|currently|lately|recently|these\s+days|started\s+to|"
    r"keeps?\s+(?:on\s+)?(?:wishing|wanting|thinking|cutting|burning|hurting|harming|planning)|"
    r"getting\s+worse|every\s+(?:day|night|week)|still\s+(?:do\w*|cut\w*|burn\w*|self|hurt\w*|"
    r"harm\w*|want\w*|think\w*|have\s+(?:urges|thoughts)))\b"
)
# Someone else: the words are about him or her ("tried to kill herself", "my aunts overdose").
OTHERS = re.compile(r"\b(?:him|her|them|them|one|your)sel(?:f|ves)\b")
OTHER_PERSON = (
    r"(?:mum|mom|mother|dad|father|parent|brother|bro|sister|sis|son|daughter|child|kid|friend|"
    r"mate|partner|husband|wife|ex|cousin|uncle|aunt|auntie|grandad|grandpa|grandma|gran|nan|"
    r"nana|granny|twin|boyfriend|girlfriend|bf|gf|colleague|coworker|classmate|neighbour|"
    r"teacher|flatmate|housemate|roommate|niece|nephew|stepdad|stepmum|student|patient|client|"
    r"grandmother|grandfather|grandparent|granddad|great\s+\w+)s?"
)
# A date that belongs to someone else's death, not to the writer's words when they are in the
# present: "my mum died last year and since then I want to be dead too" (a review found it let
# through); but "when my dad died 3 years ago I wanted to die too" is dated by it.
THEIR_DEATH_DATED = re.compile(
    rf"\b(?:died|passed(?:\s+away|\s+on)?|lost\s+(?:him|her|them|my\s+{OTHER_PERSON})|"
    r"took\s+(?:his|her|their)\s+own\s+life|killed\s+(?:him|her|them)sel(?:f|ves))\s+"
    r"(?:\w+\s+){0,3}?(?:last\s+(?:year|month|week|spring|summer|autumn|winter)|"
    r"(?:\w+\s+)?(?:years|months)\s+ago|in\s+(?:19|20)\d\d|(?:19|20)\d\d)\b"
)
# The writer's words in the present ("want", "keep wishing"), which a date of someone else's
# death does not reach.
PRESENT = re.compile(
    r"\b(?:want|wants|wanna|wish|wishing|keep|keeps|plan|planning|going|gonna|am|im|cant)\b"
)
OTHER_SUBJECT = re.compile(
    rf"^(?:\w+\s+){{0,3}}?(?:(?:my|our|his|her|their|a)\s+(?:\w+\s+){{0,2}}?{OTHER_PERSON}|"
    r"he|she|they|someone|somebody)\b"
)
OTHERS_SUICIDE = re.compile(
    rf"\b(?:(?:his|her|their|{OTHER_PERSON})\s+suicid|(?:died|death|dying|lost\s+(?:\w+\s+){{0,3}})"
    r"\s*(?:by|to|from|through)\s+suicid|bereave\w*\s+(?:by|through|from|after)\s+(?:a\s+)?suicid|"
    r"(?:loss|death|bereavement)\s+(?:was|is|being|were)\s+(?:a\s+|by\s+)?suicid|"
    r"suicid\w*\s+(?:rates?|prevention|awareness|statistics|"
    r"bereave\w*|loss|survivors?|figures|numbers))"
)
FIRST_PERSON = re.compile(r"\b(?:i|im|ive|id|ill|me|my\s*self)\b")
# A book, film, show or song, in the words' sentence or the next: "the self harm bits of the
# novel are intense. good book tho". Only when nobody in the clause is doing it (see settled_by).
MEDIA = re.compile(
    r"\b(?:film|movie|book|novel|memoir|play|show|series|episode|soap|storyline|plot|character|"
    r"scenes?|chapters?|bits|podcast|song|lyrics|album|documentary|article|headline|netflix|"
    r"reading|watching|watched)\b"
)
# What a past of someone else's comes with: a death, or that it is over.
OVER = re.compile(
    r"\b(?:died|dead|death|passed\s+(?:away|on)|lost\s+(?:him|her|them|my\s+\w+|our\s+\w+)|"
    r"funeral|anniversary|inquest|grief|griev\w*|"
    r"bereave\w*|survived|recovered|recovering|sober|"
    # "she's fine now" is folded to "shes fine now".
    r"(?:is|s|was|are|re|hes|shes|theyre|(?:has|have|hes|shes|theyve)\s+been)\s+(?:ok|okay|fine|safe|well|"
    r"alive|better|doing\s+(?:well|ok|fine|great))|got\s+(?:help|treated|treatment)|in\s+therapy|"
    r"back\s+at\s+(?:school|work|uni)|years\s+ago|last\s+(?:year|spring|summer|autumn|winter)|"
    r"months\s+ago|in\s+(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december)|in\s+the\s+(?:\d0s|nineties|eighties|seventies)|when\s+i\s+was|news|rates)\b"
)


class Settled(StrEnum):
    """Why a pattern's words are no crisis where they were said, most settled last."""

    PAST = "past"  # one's own, long ago
    OTHERS = "others"  # someone else's death or past
    DENIED = "denied"
    MEDIA = "media"  # in a book, film or song, not the writer's life


def all_hits(pattern: regex.Pattern[str], text: str) -> list[regex.Match[str]]:
    """Every match of a pattern in the text and in its single-lettered reading."""
    hits: list[regex.Match[str]] = []
    single = LONG_RUNS.sub(r"\1", text)
    for variant in (text, single) if single != text else (text,):
        try:
            hits = list(pattern.finditer(variant, timeout=PATTERN_SECONDS))
        except TimeoutError:
            return []
        if hits:
            return hits
    return hits


def settled_by(
    clause: str, hit: regex.Match[str], sentence: str, following: str, whole: str, recent: bool
) -> Settled | None:
    """Why one match in its clause is no crisis, or None. `clause`, `sentence` (the match's),
    `following` (the next sentence) and `whole` are as the patterns read them."""
    if recent:
        return None
    before = clause[: hit.start()]
    at = sentence.find(hit.group(0))
    after = (sentence[at + len(hit.group(0)) :] if at >= 0 else sentence) + " " + following
    rest = whole[whole.find(hit.group(0)) + len(hit.group(0)) :] if hit.group(0) in whole else whole
    # The denial nearest the words is the one that governs them ("no, i dont want to ...").
    denial = ([None, *DENIAL.finditer(before)])[-1]
    between = before[denial.end() :] if denial else ""
    denied = bool(
        denial
        and len(between.split()) <= DENIAL_REACH
        and not NOT_A_DENIAL.search(between)
        and not CONDITION.search(before[: denial.start()])
    ) or bool(
        ASKED.search(before) and ANSWERED_NO.search(after) and not ANSWER_RETRACTED.search(after)
    )
    if denied:
        if HEDGE.search(clause[hit.end() :]) or TURNED.search(rest):
            return None
        return Settled.DENIED
    around = clause[max(0, hit.start() - 40) : hit.end() + 30]
    # Someone else's act, not one done to the writer ("strangled me", "hits my mum").
    to_me = re.search(r"\b(?:me|my|myself)\b", hit.group(0))
    someone_else = not to_me and (
        OTHERS.search(hit.group(0))
        # A loss to suicide nearby speaks only for the word itself: "my son's death was a
        # suicide and im sat on the edge of the roof" is about the writer.
        or ("suicid" in hit.group(0) and OTHERS_SUICIDE.search(around))
        or (OTHER_SUBJECT.search(before) and not FIRST_PERSON.search(before))
    )
    # Someone else's act that is over, or that their youth, named before it in the same
    # clause, places long ago ("when my grandmother was young she tried to drown herself"; not
    # "my sister tried to kill herself, when our gran was young the same happened", nor an age:
    # "my son is in his early teens and says he's going to kill himself"). Never their wish or
    # plan now ("my gran says she wants to kill herself", however long ago grandad died).
    if someone_else and INTENT_NOW.search(hit.group(0)):
        return None
    if someone_else and (OVER.search(whole) or THEIR_YOUTH.search(before)):
        return Settled.OTHERS
    if not to_me and not FIRST_PERSON.search(clause) and MEDIA.search(sentence + " " + following):
        return Settled.MEDIA
    # Not a date of someone else's death ("my brother took his own life in 2021 and I keep
    # wishing I was dead").
    if (
        not someone_else
        and not NOT_PAST.search(clause)
        and (LONG_AGO.search(_dates_of(hit.group(0), sentence)) or DATES_THE_LAST.search(following))
    ):
        return Settled.PAST
    return None


def negated_or_past(matched: str, revealed: str) -> bool:
    """Whether the clause the pattern matched in also denies or dates it, outside the
    matched words themselves ("i'm not suicidal", "i self-harmed years ago"). A denial in
    another clause of the sentence is not one of these words ("I won't need it though, I've
    made my plan to hang myself": a review's held-out set found it let through)."""
    for sentence in [revealed, *sentences(revealed)][::-1]:
        if matched not in fold(sentence):
            continue
        for clause in _CLAUSE_END.split(sentence):
            folded = fold(clause)
            if matched in folded:
                # A denial before the words is read in their own part of the clause, up to a
                # comma: "I don't want any more sessions, I won't be here next month" denies
                # the sessions.
                parts = (fold(p) for p in _COMMA.split(clause))
                near = next((p for p in parts if matched in p), folded)
                return _denies_or_dates(folded, near, matched)
        # The match spans clauses: read the sentence whole.
        folded = fold(sentence)
        return _denies_or_dates(folded, folded, matched)
    return False


def _denies_or_dates(clause: str, near: str, matched: str) -> bool:
    """Whether `clause` denies or dates the pattern's words `matched` in it; `near` is their
    own part of the clause, up to a comma."""
    at = clause.find(matched)
    before, after = clause[:at], clause[at + len(matched) :]
    near_before = near[: near.find(matched)].split()
    dated = _dates_of(matched, f"{before} {after}")
    # A book or an article read by the writer does not make their own wish a story's: "I read
    # an article about DIT and honestly I just want to die".
    own = FIRST_PERSON.search(" ".join(near_before[-4:]))
    window = " ".join(near_before[-DENIAL_WORDS:])
    denial = ([None, *DENIED_BEFORE.finditer(window)])[-1]
    # A denial of something else is none: "if we don't get help I'm going to put her in
    # hospital" (a new subject between them, or opening the words themselves).
    elsewhere = denial is not None and NEW_SUBJECT.search(
        f"{window[denial.end() :]} {' '.join(matched.split()[:1])}"
    )
    denied = bool((denial and not elsewhere) or DENIED_AFTER.search(after))
    if LASTING.match(after):
        # An absence with no end is not dated by a past event or explained by a holiday.
        return denied
    return bool(
        denied
        or (PAST.search(dated) and not NOT_PAST.search(clause))
        or (not own and MEDIA_WORDS.search(dated))
        or (SCHEDULE.search(dated) and not INTENT.search(f"{before} {matched}"))
    )


def _dates_of(words: str, text: str) -> str:
    """`text` as it may date the pattern's `words`: without the dates of someone else's death
    when the words are in the present (see THEIR_DEATH_DATED)."""
    return THEIR_DEATH_DATED.sub(" ", text) if PRESENT.search(words) else text


# Where a sentence turns from one thing to another, for `negated_or_past`: a contrast. Not
# at a comma, which as often carries the denial or the date ("self harm was my thing at
# school, not anymore"; "won't be around next tuesday, hospital appointment").
_CLAUSE_END = re.compile(r";|\b(?:though|but|however|although|yet)\b", re.I)
_COMMA = re.compile(r"[,:()\u2013\u2014]|\s-\s")
