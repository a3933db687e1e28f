/*
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT handling. The first signal sets a flag that long loops
 * poll (signals_interrupted) so the stage can clean up and the report is
 * still written; a second signal restores the default action and re-raises,
 * ending the process at once. SIGPIPE is ignored: writes return EPIPE.
 */
#ifndef SF_SIGNALS_H
#define SF_SIGNALS_H

void signals_install(void);
/* The number of the first signal received, or 0. */
int signals_interrupted(void);

#endif
