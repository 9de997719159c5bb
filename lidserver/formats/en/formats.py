"""Dates as the site writes them, in the admin too: ISO 8601 order, 24-hour clock, UTC said.

(Django would otherwise format admin dates with the English locale: "Dec. 2, 2026, 2:18 a.m.")
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = r"Y-m-d H:i:s \U\T\C"
SHORT_DATETIME_FORMAT = r"Y-m-d H:i \U\T\C"
MONTH_DAY_FORMAT = "m-d"
YEAR_MONTH_FORMAT = "Y-m"
FIRST_DAY_OF_WEEK = 1
