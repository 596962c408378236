"""What a new reaction may be, beyond being one emoji (chat/messages/rules.py `clean_emoji`).

* One member adds at most MEMBER_MAX_EMOJI distinct emoji to one message, so that no single member fills the
  message's MAX_EMOJI (20) with junk; the repository checks both limits in the one update that adds it.
* Unicode tag characters (U+E0020–U+E007F) spell invisible ASCII text. The only emoji made with them are the
  subdivision flags, such as England's: U+1F3F4 (waving black flag), a subdivision code in tag letters and
  digits (CLDR: a region of two letters or three digits and 1–4 more, 3–7 tags in all), then U+E007F (cancel
  tag). An emoji holding tags in any other form is refused: it would smuggle text into a reaction.

No database and no transport here.
"""
import re

from ..kernel import errors

MEMBER_MAX_EMOJI = 10  # distinct emoji one member may add to one message
TAGS = re.compile("[\U000e0020-\U000e007f]")
SUBDIVISION_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{3,7}\U000e007f")


def check_new(emoji):
    """The emoji, when it may be added: validation_error if it holds tag characters other than as one subdivision
    flag (U+1F3F4, 3–7 tag letters or digits, U+E007F: the whole emoji)."""
    if TAGS.search(emoji) and not SUBDIVISION_FLAG.fullmatch(emoji):
        raise errors.validation_error({"Emoji": ["Tag characters only as a subdivision flag (such as England's)."]})
    return emoji


def refusal(message, user_id, max_emoji):
    """Why an emoji was not added to message: one member's limit, or the message's."""
    own = sum(1 for reaction in message.get("reactions", []) if reaction["user_id"] == user_id)
    if own >= MEMBER_MAX_EMOJI:
        return errors.validation_error({"Emoji": [f"At most {MEMBER_MAX_EMOJI} different emoji from you on a "
                                                  "message."]})
    return errors.validation_error({"Emoji": [f"At most {max_emoji} different emoji on a message."]})
