//! (being written by the scheduler engineer)
