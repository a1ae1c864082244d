// CloudFront Function (viewer request) of the SPA's default behaviour only: a deep link
// (a path whose last segment has no file extension) is served /index.html so the SPA's
// router can handle it. /api/* and /assets/* have their own behaviours and never run it,
// so the API's real errors stay errors and a missing asset stays a 404.
function handler(event) {
    var request = event.request;
    var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') === -1) {
        request.uri = '/index.html';
    }
    return request;
}
