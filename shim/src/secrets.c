#define _GNU_SOURCE
#include "secrets.h"
#include "http.h"
#include "log.h"
#include "util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

int
secrets_parse_answer(const char *body, size_t len, char **value, const char **why)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Parameter"), "Value");
	int ret = 1;

	*value = NULL;
	*why = NULL;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		*why = "no Parameter.Value";
	else if ((*value = strdup(v->valuestring)) == NULL)
		ret = -1;
	else
		ret = 0;
	if (cJSON_IsString(v))
		explicit_bzero(v->valuestring, strlen(v->valuestring));
	cJSON_Delete(doc);
	return ret;
}

int
secrets_get_parameter(const char *name, long timeout_ms, char **value, char **err)
{
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *base = getenv("SYM_SHIM_SECRETS_URL");
	const char *port = getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT");
	char *url = NULL, *enc = NULL, *hdr = NULL, *herr = NULL;
	const char *headers[2];
	http_response resp;
	const char *why;
	int ret = -1;

	*value = NULL;
	*err = NULL;
	if (token == NULL || *token == '\0') {
		*err = strdup("AWS_SESSION_TOKEN is not set; the Parameters and Secrets extension needs it");
		return -1;
	}
	enc = http_escape(name);
	if (base != NULL && *base != '\0')
		url = enc ? xasprintf("%s/systemsmanager/parameters/get?name=%s&withDecryption=true", base, enc)
			  : NULL;
	else
		url = enc ? xasprintf("http://localhost:%s/systemsmanager/parameters/get?name=%s&withDecryption=true",
				      port && *port ? port : "2773", enc)
			  : NULL;
	hdr = xasprintf("X-Aws-Parameters-Secrets-Token: %s", token);
	if (url == NULL || hdr == NULL) {
		*err = strdup("out of memory");
		goto out;
	}
	headers[0] = hdr;
	headers[1] = NULL;
	log_debug("fetching the database password from SSM parameter %s", name);
	if (http_request("GET", url, headers, NULL, 0, timeout_ms, 64 * 1024, &resp, &herr) < 0) {
		*err = xasprintf("could not reach the Parameters and Secrets extension: %s", herr);
		goto out;
	}
	if (resp.status != 200) {
		*err = xasprintf("the Parameters and Secrets extension answered HTTP %ld for parameter %s",
				 resp.status, name);
		goto out_resp;
	}
	switch (secrets_parse_answer(resp.body.data ? resp.body.data : "", resp.body.len, value, &why)) {
	case 0:
		break;
	case 1:
		*err = xasprintf("the Parameters and Secrets extension gave %s for %s", why, name);
		goto out_resp;
	default:
		*err = strdup("out of memory");
		goto out_resp;
	}
	ret = 0;
out_resp:
	if (resp.body.data)
		explicit_bzero(resp.body.data, resp.body.len);
	http_response_free(&resp);
out:
	free(url);
	free(enc);
	free_secret(hdr);
	free(herr);
	return ret;
}
