"""Versions recorded in an index's manifest, readable by the query side without importing the build side."""

# Bump when the outline or reading changes how documents split into clauses: an index built by an older parser
# is rebuilt once by the app, and the CLI search says to run `build`.
PARSER_VERSION = 7  # 7: articles of a part of a code (民法典 物权编 from 第二百零五条), numbers of up to 8 numerals,
# the paragraph after an article's list is the article's (not its last item's)
# 6: wrapped titles one clause, skipped chapter numbers, month dates and figure lines kept out
# 5: tables as table clauses; contents lists and cover-note lines kept out
