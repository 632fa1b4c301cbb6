/* Logging on stderr: one JSON object a line in Lambda mode (CloudWatch reads them
 * as structured logs), readable text locally. Never pass the password or the raw
 * event to these functions. */
#ifndef SHIM_LOG_H
#define SHIM_LOG_H

enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns -1 when level_name is not one of debug/info/warn/error. */
int log_level_from_name(const char *level_name);
void log_init(int json_lines, int min_level);
/* Request id included in every following line (NULL to clear); copied. */
void log_set_request(const char *request_id);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
