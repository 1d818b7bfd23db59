/*
 * workq - jobs run in order by one worker thread, or at once by the caller
 *
 * A producer pushes jobs; one worker runs them, first in, first out, each with the run
 * function given at creation. The queue holds at most `max_jobs`, so a producer faster than
 * the worker waits instead of filling memory. Finished jobs are kept for the producer to use
 * again (workq_reuse), so that a long run allocates its jobs once.
 *
 * Without a thread (threaded = 0, or when the thread cannot be started) workq_push runs the
 * job itself before it returns: the same code, one core.
 *
 * The first job that fails (run returns -1) stops the worker: later pushes are refused and
 * the failure is what workq_drain returns. What run() writes is the caller's to read only
 * after workq_drain has returned (the queue's lock orders the two threads' memory).
 */
#ifndef REJECTLENS_WORKQ_H
#define REJECTLENS_WORKQ_H

#include <stddef.h>

struct workq;

/*
 * workq_new - a queue whose jobs run(ctx, job); with threaded, in a thread of its own.
 * free_job frees a job the queue holds at the end (finished or never run).
 */
struct workq *workq_new(int threaded, size_t max_jobs, int (*run)(void *ctx, void *job),
                        void (*free_job)(void *job), void *ctx);

/* workq_threaded - 1 when a worker thread runs the jobs */
int workq_threaded(const struct workq *q);

/*
 * workq_push - queue a job (the queue owns it from now on), waiting while the queue is full.
 * Returns 0, or -1 when a job has failed: this one is not run (it is kept for reuse).
 */
int workq_push(struct workq *q, void *job);

/* workq_reuse - a finished job to fill again (the caller owns it), or NULL when none */
void *workq_reuse(struct workq *q);

/* workq_drain - wait until every job pushed has run; 0, or -1 when one failed */
int workq_drain(struct workq *q);

/* workq_free - drain, stop the worker and free every job held; NULL is a no-op */
void workq_free(struct workq *q);

#endif
