//! `#[derive(Chain)]`: implements kusari's `Link` for a struct from its
//! fields, as Chainer's `Chain` registers the parameters and links assigned
//! inside `init_scope()`. Use it through `kusari::Chain`; the rules are
//! documented there.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, Data, DeriveInput, Fields, GenericArgument, LitStr, PathArguments, Type,
};

/// Implements `kusari::Link` for a struct with named fields.
///
/// * `Parameter` and `Option<Parameter>` fields are the link's own parameters;
/// * `Persistent` and `Option<Persistent>` fields are its persistent values;
/// * every other field is a child link (its type must implement `Link`;
///   `Option<L>` is a child when `Some`, `Vec<L>` a list of children `0`, `1`, ...);
/// * `#[chain(skip)]` leaves a plain field out (sizes, settings, closures);
/// * `#[chain(rename = "W")]` changes the name in paths (fields are snake case,
///   Chainer's names are not always);
/// * `#[chain(param)]`, `#[chain(persistent)]`, `#[chain(link)]` say the kind
///   when a type alias hides it.
#[proc_macro_derive(Chain, attributes(chain))]
pub fn derive_chain(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Param,
    Persistent,
    Link,
}

struct FieldSpec {
    ident: syn::Ident,
    name: String,
    kind: Kind,
    optional: bool,
    ty: Type,
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// `Option<T>`'s `T`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

fn kind_of_type(ty: &Type) -> Kind {
    match last_segment(ty) {
        Some(seg) if seg.ident == "Parameter" && seg.arguments.is_empty() => Kind::Param,
        Some(seg) if seg.ident == "Persistent" && seg.arguments.is_empty() => Kind::Persistent,
        _ => Kind::Link,
    }
}

fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => n.named.iter().collect::<Vec<_>>(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(_) => return Err(syn::Error::new(
                input.ident.span(),
                "derive(Chain) needs named fields: the field names are the paths of the parameters",
            )),
        },
        _ => {
            return Err(syn::Error::new(
                input.ident.span(),
                "derive(Chain) works on structs only",
            ))
        }
    };

    let mut specs = Vec::new();
    for field in fields {
        let ident = field.ident.clone().expect("named field");
        let mut skip = false;
        let mut rename: Option<String> = None;
        let mut forced: Option<Kind> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("chain")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    skip = true;
                } else if meta.path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    rename = Some(lit.value());
                } else if meta.path.is_ident("param") {
                    forced = Some(Kind::Param);
                } else if meta.path.is_ident("persistent") {
                    forced = Some(Kind::Persistent);
                } else if meta.path.is_ident("link") {
                    forced = Some(Kind::Link);
                } else {
                    return Err(meta.error(
                        "unknown chain attribute: expected skip, rename = \"..\", param, persistent or link",
                    ));
                }
                Ok(())
            })?;
        }
        if skip {
            continue;
        }
        let (inner, optional) = match option_inner(&field.ty) {
            Some(t) => (t.clone(), true),
            None => (field.ty.clone(), false),
        };
        let kind = forced.unwrap_or_else(|| kind_of_type(&inner));
        let name = rename.unwrap_or_else(|| {
            let s = ident.to_string();
            s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
        });
        specs.push(FieldSpec {
            ident,
            name,
            kind,
            optional,
            ty: inner,
        });
    }

    let visit = |kind: Kind, callee: TokenStream2| -> TokenStream2 {
        let calls = specs.iter().filter(|s| s.kind == kind).map(|s| {
            let ident = &s.ident;
            let name = LitStr::new(&s.name, Span::call_site());
            let deref = if kind == Kind::Link {
                // Spanned on the field so a type that is not a link is
                // reported at the field, where `#[chain(skip)]` goes.
                quote::quote_spanned!(s.ty.span()=> v as &dyn ::kusari::Link)
            } else {
                quote!(v)
            };
            if s.optional {
                quote! { if let ::core::option::Option::Some(v) = &self.#ident { #callee(#name, #deref); } }
            } else {
                quote! { { let v = &self.#ident; #callee(#name, #deref); } }
            }
        });
        quote! { #(#calls)* }
    };
    let params = visit(Kind::Param, quote!(f));
    let persistents = visit(Kind::Persistent, quote!(f));
    let children = visit(Kind::Link, quote!(f));

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut where_clause = where_clause.cloned().unwrap_or_else(|| syn::WhereClause {
        where_token: Default::default(),
        predicates: Default::default(),
    });
    // Generic children (`Classifier<P>`) need `P: Link`; bounding each child
    // type rather than each type parameter keeps plain generic fields free.
    if !input.generics.params.is_empty() {
        for s in specs.iter().filter(|s| s.kind == Kind::Link) {
            let ty = &s.ty;
            where_clause
                .predicates
                .push(syn::parse_quote_spanned!(ty.span()=> #ty: ::kusari::Link));
        }
    }

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::kusari::Link for #ident #ty_generics #where_clause {
            fn visit_own_params(&self, f: &mut dyn FnMut(&str, &::kusari::Parameter)) {
                let _ = &f;
                #params
            }
            fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &::kusari::Persistent)) {
                let _ = &f;
                #persistents
            }
            fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn ::kusari::Link)) {
                let _ = &f;
                #children
            }
        }
    })
}
