/*
 * workq - jobs run in order by one worker thread, or at once by the caller (see workq.h)
 *
 * DESCRIPTION
 *	One mutex guards everything: the ring of pending jobs, the stack of finished ones, the
 *	worker's state. Three conditions: not_empty wakes the worker, not_full wakes a producer
 *	waiting for room, idle wakes a producer waiting in workq_drain. The worker runs a job
 *	without the lock, so the producer fills the next one meanwhile.
 *
 * DIAGNOSTICS
 *	A thread that cannot be started is not an error: the jobs run in the caller's thread.
 */
#include "workq.h"
#include "xalloc.h"

#include <pthread.h>
#include <signal.h>

struct workq {
    int (*run)(void *ctx, void *job);
    void (*free_job)(void *job);
    void *ctx;
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, idle;
    void **ring; /* pending jobs */
    size_t cap, head, count;
    void **done; /* finished jobs, for reuse */
    size_t ndone, done_cap;
    int busy;   /* the worker is running a job */
    int failed; /* a job failed: nothing more runs */
    int stop;   /* workq_free: the worker ends once the ring is empty */
};

/* keep_done - put a finished (or refused) job on the reuse stack; the lock is held */
static void keep_done(struct workq *q, void *job)
{
    if (q->ndone == q->done_cap) {
        q->done_cap = q->done_cap ? q->done_cap * 2 : 8;
        q->done = xreallocarray(q->done, q->done_cap, sizeof *q->done);
    }
    q->done[q->ndone++] = job;
}

static void *worker(void *arg)
{
    struct workq *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->count == 0 && !q->stop)
            pthread_cond_wait(&q->not_empty, &q->mu);
        if (q->count == 0)
            break; /* stopping, and nothing left */
        void *job = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_signal(&q->not_full);
        int rc = 0;
        if (!q->failed) {
            q->busy = 1;
            pthread_mutex_unlock(&q->mu);
            rc = q->run(q->ctx, job);
            pthread_mutex_lock(&q->mu);
            q->busy = 0;
        }
        if (rc < 0)
            q->failed = 1;
        keep_done(q, job);
        if (q->count == 0)
            pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct workq *workq_new(int threaded, size_t max_jobs, int (*run)(void *ctx, void *job),
                        void (*free_job)(void *job), void *ctx)
{
    struct workq *q = xcalloc(1, sizeof *q);

    q->run = run;
    q->free_job = free_job;
    q->ctx = ctx;
    q->cap = max_jobs > 0 ? max_jobs : 1;
    q->ring = xcalloc(q->cap, sizeof *q->ring);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    pthread_cond_init(&q->idle, NULL);
    if (threaded) {
        /* signals are the caller's: the worker starts with them blocked */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&q->thread, NULL, worker, q) == 0)
            q->threaded = 1;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return q;
}

int workq_threaded(const struct workq *q)
{
    return q->threaded;
}

int workq_push(struct workq *q, void *job)
{
    int rc;

    if (!q->threaded) {
        if (q->failed || q->run(q->ctx, job) < 0) {
            q->failed = 1;
            keep_done(q, job);
            return -1;
        }
        keep_done(q, job);
        return 0;
    }
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->failed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->failed) {
        keep_done(q, job);
        rc = -1;
    } else {
        q->ring[(q->head + q->count) % q->cap] = job;
        q->count++;
        pthread_cond_signal(&q->not_empty);
        rc = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void *workq_reuse(struct workq *q)
{
    void *job = NULL;

    if (q->threaded)
        pthread_mutex_lock(&q->mu);
    if (q->ndone > 0)
        job = q->done[--q->ndone];
    if (q->threaded)
        pthread_mutex_unlock(&q->mu);
    return job;
}

int workq_drain(struct workq *q)
{
    int failed;

    if (!q->threaded)
        return q->failed ? -1 : 0;
    pthread_mutex_lock(&q->mu);
    while (q->count > 0 || q->busy)
        pthread_cond_wait(&q->idle, &q->mu);
    failed = q->failed;
    pthread_mutex_unlock(&q->mu);
    return failed ? -1 : 0;
}

void workq_free(struct workq *q)
{
    if (q == NULL)
        return;
    if (q->threaded) {
        pthread_mutex_lock(&q->mu);
        q->stop = 1;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
    }
    for (size_t i = 0; i < q->count; i++) /* never run: the worker had failed */
        q->free_job(q->ring[(q->head + i) % q->cap]);
    for (size_t i = 0; i < q->ndone; i++)
        q->free_job(q->done[i]);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    free(q->done);
    free(q);
}
