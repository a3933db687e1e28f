/* Time: the one monotonic clock and the one UTC timestamp format. */
#ifndef SF_CLOCK_H
#define SF_CLOCK_H

/* Seconds on the monotonic clock. */
double monotonic_now(void);
/* Current UTC time as "2026-11-29T07:53:56Z"; caller frees. */
char *utc_timestamp(void);

#endif
