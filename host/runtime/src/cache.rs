//! The host's cache of compiled plugins.
//!
//! Compiling a component takes far longer than loading its compiled form,
//! so the host keeps what it compiled, keyed by the component's sha256 and
//! the engine's compatibility hash (wasmtime version, compiler settings,
//! CPU features): a changed engine simply misses the cache. Only the host
//! writes these files; tenants can never hand in compiled code.

use std::{
    fs,
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, component::Component};

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub(crate) struct ArtefactCache {
    dir: PathBuf,
    engine_key: String,
}

impl ArtefactCache {
    pub fn new(dir: &Path, engine: &Engine) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self { dir: dir.to_path_buf(), engine_key: format!("{:016x}", hasher.finish()) }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The cached compiled form of the component with `sha256`, if present and intact.
    pub fn get(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        let bytes = fs::read(&path).ok()?;
        // Each file starts with the sha256 of the rest: a torn or corrupted
        // file is recompiled, never loaded.
        let (digest, artefact) = bytes.split_at_checked(32)?;
        if digest != Sha256::digest(artefact).as_slice() {
            tracing::warn!(path = %path.display(), "corrupt compiled artefact; recompiling");
            let _ = fs::remove_file(&path);
            return None;
        }
        // SAFETY: `deserialize` trusts its input to be wasmtime's own output.
        // These bytes are: only `put` below writes this directory, with what
        // this engine's `serialize` produced, and the digest check above
        // rules out torn or corrupted files. The engine key in the file name
        // and wasmtime's own header check rule out another engine's output.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, artefact) };
        component.map_err(|e| tracing::warn!(error = %e, "unusable compiled artefact; recompiling")).ok()
    }

    /// Stores a freshly compiled component; failures only cost a recompile later.
    pub fn put(&self, sha256: &str, component: &Component) {
        let result = (|| -> Result<(), String> {
            let artefact = component.serialize().map_err(|e| e.to_string())?;
            fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
            let tmp = self.dir.join(format!(".{sha256}.tmp"));
            let mut bytes = Sha256::digest(&artefact).to_vec();
            bytes.extend_from_slice(&artefact);
            fs::write(&tmp, &bytes).map_err(|e| e.to_string())?;
            fs::rename(&tmp, self.path(sha256)).map_err(|e| e.to_string())
        })();
        if let Err(error) = result {
            tracing::warn!(%error, dir = %self.dir.display(), "could not cache a compiled plugin");
        }
    }
}
