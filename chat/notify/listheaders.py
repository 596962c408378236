"""The mail policy of the digest: `List-Unsubscribe` written as the raw `<URL>` list RFC 2369 and RFC 8058 ask for.

email.policy folds a header longer than max_line_length (78) and, when a word of it (a long URL) still does not
fit, writes it as RFC 2047 encoded-words (`=?utf-8?q?=3Chttps=3A//...`). Mail providers read such a header as
no unsubscribe link at all, so one-click unsubscribe silently stopped working for a long PUBLIC_URL. Here the
header is written as it is: folded only at the whitespace after a comma between two `<...>` entries, never
inside a URL (a line may then pass 78 characters: RFC 5322 allows up to 998). Everything else in the mail is
folded and encoded as email.policy.default does.
"""
import email.policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader

RAW_HEADERS = ("list-unsubscribe",)


class RawListHeader(UnstructuredHeader):
    """A header of `<URL>` entries separated by `, `, folded only between entries, never encoded."""

    def fold(self, *, policy):
        """`Name: <a>,` CRLF ` <b>`: entries joined on one line while they fit in max_line_length."""
        value = str(self)
        if not value.isascii():  # a URL must be ASCII already; anything else is folded the usual way
            return super().fold(policy=policy)
        entries = value.split(", ")
        lines, line = [], f"{self.name}:"
        for number, entry in enumerate(entries):
            piece = entry + ("," if number < len(entries) - 1 else "")
            if number and len(line) + 1 + len(piece) > (policy.max_line_length or 998):
                lines.append(line)
                line = ""
            line += " " + piece
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def _registry():
    registry = HeaderRegistry()  # its own: email.policy.default's registry is shared by the whole process
    for name in RAW_HEADERS:
        registry.map_to_type(name, RawListHeader)
    return registry


LIST_POLICY = email.policy.default.clone(header_factory=_registry())
