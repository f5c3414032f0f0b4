/*
 * TODO (milestones 0a and 0b): the self-pipe and its handler, the four
 *     functions of selfpipe.h.  0a: a handler that only write()s one
 *     record; 0b: a write end that never blocks, errno kept.
 * See handout.md, sections "The self-pipe trick", "Milestone 0a — ..."
 * and "Milestone 0b — ...".
 */
int selfpipe_open(void) { return -1; }
int selfpipe_catch(int signo, bool restart) { (void)signo; (void)restart; return -1; }
int selfpipe_read(struct signal_record *rec) { (void)rec; return -1; }
void selfpipe_close(void) {}
