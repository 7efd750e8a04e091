package platform

// RoutePatterns returns every route of the platform API as "METHOD /path",
// read from the same tables routes registers, so a documentation test can
// check that each one is described. The catch-all 404 patterns are left
// out: they are not routes.
func RoutePatterns() []string {
	s := &Server{} // the tables only take method values; nothing is called
	var out []string
	for _, rt := range s.resourceRoutes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	for _, rt := range s.managementRoutes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	// routes registers /oauth/token for every method and answers 405 to
	// all but POST.
	return append(out, "POST /oauth/token")
}
