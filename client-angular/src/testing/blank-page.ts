import { Component } from '@angular/core';

/** A routed page with nothing on it: where specs send the router when the destination is not under test. */
@Component({ selector: 'app-blank-page', template: '' })
export class BlankPage {}
