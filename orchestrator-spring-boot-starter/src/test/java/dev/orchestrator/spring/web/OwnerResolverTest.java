package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/** The ready-made resolvers: a header set by a gateway, or the authenticated principal. */
class OwnerResolverTest {
  @Test
  void theHeaderResolverTakesTheHeaderAndRefusesARequestWithout() {
    OwnerResolver resolver = OwnerResolver.header("X-User-Id");
    MockHttpServletRequest request = new MockHttpServletRequest();
    request.addHeader("X-User-Id", "  alice ");
    assertThat(resolver.resolve(request)).isEqualTo("alice");
    assertThatThrownBy(() -> resolver.resolve(new MockHttpServletRequest()))
        .isInstanceOf(OwnerResolver.OwnerRequiredException.class)
        .hasMessageContaining("X-User-Id");
    MockHttpServletRequest blank = new MockHttpServletRequest();
    blank.addHeader("X-User-Id", " ");
    assertThatThrownBy(() -> resolver.resolve(blank))
        .isInstanceOf(OwnerResolver.OwnerRequiredException.class);
  }

  @Test
  void thePrincipalResolverTakesTheAuthenticatedNameAndRefusesAnonymousRequests() {
    OwnerResolver resolver = OwnerResolver.principal();
    MockHttpServletRequest request = new MockHttpServletRequest();
    request.setUserPrincipal(() -> "bob");
    assertThat(resolver.resolve(request)).isEqualTo("bob");
    assertThatThrownBy(() -> resolver.resolve(new MockHttpServletRequest()))
        .isInstanceOf(OwnerResolver.OwnerRequiredException.class)
        .hasMessageContaining("not authenticated");
    assertThat(OwnerResolver.NONE.resolve(request)).isNull();
  }
}
